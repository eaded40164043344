/** The Notifications of the configured metadata store: PostgreSQL LISTEN/NOTIFY, else in-process. */
import type { Logger } from 'pino';
import type { LazaretConfig } from '../config/schema.ts';
import { isPostgresUrl, postgresOptionsFromUrl } from '../persistence/index.ts';
import { createLocalNotifications, type Notifications } from './notifications.ts';
import { createPostgresNotifications } from './postgres-notifications.ts';

export async function openNotifications(config: Pick<LazaretConfig, 'databaseUrl'>, logger: Logger): Promise<Notifications> {
  const url = config.databaseUrl;
  if (!url || !isPostgresUrl(url)) return createLocalNotifications();
  const { connectionString, schema } = postgresOptionsFromUrl(url);
  return createPostgresNotifications({ connectionString, ...(schema ? { schema } : {}), logger });
}
