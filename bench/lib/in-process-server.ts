/**
 * One Lazaret server inside the bench's own process, for the benches that fill its stores
 * directly rather than over HTTP (gc, quota-push, release-policy): a fresh temporary data dir,
 * silent logs, the periodic collector off, a free loopback port. `close` stops the server and
 * removes the data dir; a PostgreSQL schema named in `databaseUrl` is the caller's to drop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { createServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';

export interface InProcessServer {
  services: Services;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startInProcessServer(name: string, overrides: Record<string, unknown>): Promise<InProcessServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `lazaret-bench-${name}-`));
  const config = loadConfig({ env: {}, overrides: { listen: '127.0.0.1:0', dataDir, 'log.level': 'silent', 'gc.intervalSeconds': 0, ...overrides } });
  const services = await createServices(config, pino({ level: 'silent' }));
  const app = await buildApp(services);
  const close = async () => {
    await app.close();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await services.start();
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await close();
    throw err;
  }
  const address = app.server.address();
  return { services, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, dataDir, close };
}
