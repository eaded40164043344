/**
 * The separate metrics listener (`metrics.listen`): GET /metrics and nothing else, without
 * authentication, so Prometheus can scrape a node on a private address without a registry
 * credential. Anything else is 404; only GET and HEAD are answered.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { parseListen } from '../config/listen.ts';

export interface MetricsServer {
  /** The bound address (`http://host:port`). */
  readonly url: string;
  close(): Promise<void>;
}

/** `metrics` renders the exposition: one process's registry, or under `--workers` the node's merged one. */
export async function startMetricsServer(listen: string, metrics: { render(): Promise<{ contentType: string; body: string }> }, logger: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: this listener serves only /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        logger.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address : { address: host, port };
  const shown = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shown}:${bound.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
