/**
 * The Notifications of the configured metadata store: PostgreSQL LISTEN/NOTIFY; on SQLite,
 * relayed between the workers of `serve --workers` by the primary, else in-process. The
 * PostgreSQL implementation (and the pg driver) is imported only for a PostgreSQL URL.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { LazaretConfig } from '../config/schema.ts';
import { isPostgresUrl, postgresOptionsFromUrl } from '../persistence/index.ts';
import { createLocalNotifications, type Notifications } from './notifications.ts';
import { createWorkerNotifications } from './worker-notifications.ts';

export async function openNotifications(config: Pick<LazaretConfig, 'databaseUrl'>, logger: Logger): Promise<Notifications> {
  const url = config.databaseUrl;
  if (!url || !isPostgresUrl(url)) return cluster.isWorker ? createWorkerNotifications() : createLocalNotifications();
  const { connectionString, schema } = postgresOptionsFromUrl(url);
  const { createPostgresNotifications } = await import('./postgres-notifications.ts');
  return createPostgresNotifications({ connectionString, ...(schema ? { schema } : {}), logger });
}
