/**
 * Starts a real Lazaret server for a test: real config, real stores in a temp dir, real HTTP
 * on a free loopback port. `overrides` are config paths (`{'auth.mode': 'none'}`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load.ts';
import { createServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';

export interface TestServer {
  url: string;
  dataDir: string;
  app: FastifyInstance;
  services: Services;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, unknown> = {}, options: { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lazaret-test-'));
  const config = loadConfig({
    env: {},
    overrides: { listen: '127.0.0.1:0', dataDir, 'log.level': process.env.LAZARET_LOG_LEVEL ?? 'silent', ...overrides },
  });
  const services = await createServices(config, pino({ level: config.log.level }));
  const app = await buildApp(services);
  await services.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = config.tls ? 'https' : 'http';
  services.scan.setListenUrl(`${scheme}://127.0.0.1:${port}`);
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    dataDir,
    app,
    services,
    async close() {
      await app.close();
      await services.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
