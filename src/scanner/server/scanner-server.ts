/**
 * The built-in scanner process: its job store, scan runner and Harbor adapter API on one
 * Fastify instance. `startScannerServer` is what `lazaret scanner serve` and the tests call.
 * Jobs left queued or running by a previous process are run again at start.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { SCANNER_TOOL } from '../sbom/image-subject.ts';
import type { VulnDatabase } from '../types.ts';
import { registerAdapterRoutes } from './adapter-routes.ts';
import { JobStore } from './job-store.ts';
import { createScanRunner, type ScanRunner } from './scan-runner.ts';
import type { ScannerServerConfig } from './server-config.ts';

export interface ScannerServer {
  url: string;
  app: FastifyInstance;
  store: JobStore;
  runner: ScanRunner;
  close(): Promise<void>;
}

export interface ScannerServerOptions {
  config: ScannerServerConfig;
  /** Opens the vulnerability database of the data directory (it follows imports itself). */
  openDatabase: (dataDir: string) => VulnDatabase;
  log?: Logger;
}

export const SCANNER_IDENTITY = { name: 'Lazaret', vendor: SCANNER_TOOL.vendor, version: SCANNER_TOOL.version };

export async function startScannerServer(options: ScannerServerOptions): Promise<ScannerServer> {
  const { config } = options;
  const log = options.log ?? pino({ level: config.logLevel });
  const store = new JobStore(config.dataDir);
  const db = options.openDatabase(config.dataDir);
  const database = () => db;
  const runner = createScanRunner({ store, database, limits: config.limits, concurrency: config.concurrency, scanner: SCANNER_IDENTITY, log });
  // Request lines (every report poll) are info; the HTTP layer logs warnings and errors only.
  const app = Fastify({ loggerInstance: log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger, bodyLimit: 1024 * 1024 }) as unknown as FastifyInstance;
  registerAdapterRoutes(app, { config, store, runner, database, scanner: SCANNER_IDENTITY });
  for (const job of store.pending()) runner.submit(job.id);
  const expire = setInterval(() => store.expire(Date.now() - config.jobRetentionMs), 10 * 60_000);
  expire.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  log.info({ url: `http://${host}:${port}`, dataDir: config.dataDir, database: db.status() }, 'lazaret scanner listening');
  return {
    url: `http://${host}:${port}`,
    app,
    store,
    runner,
    async close() {
      clearInterval(expire);
      await app.close();
      await runner.idle();
      store.close();
      db.close();
    },
  };
}
