/**
 * A real webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request
 * and answers as the test decides (a status, or `hang` to never answer).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The documented way for a test to let webhooks deliver to a receiver on loopback, which the
 * default destination policy refuses (src/events/webhook-destinations.ts): pass this to
 * startTestServer / startTokenServer (or RECEIVER_ENV to spawnServer).
 */
export const RECEIVER_CONFIG = { 'webhooks.allowDestinations': ['127.0.0.0/8'] } as const;
export const RECEIVER_ENV = { LAZARET_WEBHOOKS_ALLOW_DESTINATIONS: '127.0.0.0/8' } as const;

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** 1-based arrival number. */
  n: number;
  arrivedAt: number;
  /** When the response was sent (undefined while pending or for `hang`). */
  answeredAt?: number;
}

/** A status now, a status after a delay, or never. */
export type Answer = number | { status: number; delayMs: number } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves when `predicate` holds for the received list; rejects after `timeoutMs`. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (r: Received) => Answer = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, n: received.length + 1, arrivedAt: performance.now() };
      received.push(r);
      for (const w of waiters) w();
      const a = answer(r);
      if (a === 'hang') {
        hanging.add(res);
        return;
      }
      const send = (status: number) => {
        r.answeredAt = performance.now();
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 200 && status < 300 ? 'ok' : `failing on purpose (${status})`);
        for (const w of waiters) w();
      };
      if (typeof a === 'number') send(a);
      else setTimeout(() => send(a.status), a.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitFor(predicate, timeoutMs = 10_000, what = 'the expected webhook requests') {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return;
          cleanup();
          resolve(received);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${received.length}: ${received.map((r) => r.body.slice(0, 120)).join(' | ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
