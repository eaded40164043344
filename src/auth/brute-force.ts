/**
 * Slows down password guessing. Failed logins are counted per identity (user or token name)
 * and per client address within a sliding window. Past a free allowance, each further
 * attempt from that identity / address must wait an exponentially growing delay after the
 * last failure (1 s, 2 s, 4 s ... capped); meanwhile attempts are refused with 429
 * TOOMANYREQUESTS and `Retry-After` BEFORE the password is checked, so the guesser learns
 * nothing. Other identities and addresses are unaffected. A successful login clears the
 * identity's count (not the address's: one valid account must not reset a guesser's address).
 *
 * In memory, per node: a cluster of N nodes allows N times the attempts; documented.
 */
import type { Logger } from 'pino';
import { registryError } from '../errors/registry-error.ts';

export interface LoginLimiterOptions {
  /** Free failures per identity in the window (default 5). */
  perIdentity?: number;
  /** Free failures per address in the window (default 30). */
  perAddress?: number;
  windowSeconds?: number;
  maxDelaySeconds?: number;
  logger?: Logger;
}

interface Counter {
  failures: number[];
}

export interface LoginLimiter {
  /** Throws TOO_MANY_REQUESTS (with Retry-After) when either key is blocked. `identity` may be undefined. */
  check(identity: string | undefined, address: string): void;
  fail(identity: string | undefined, address: string): void;
  succeed(identity: string): void;
}

export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const perIdentity = options.perIdentity ?? 5;
  const perAddress = options.perAddress ?? 30;
  const windowMs = (options.windowSeconds ?? 900) * 1000;
  const maxDelayMs = (options.maxDelaySeconds ?? 300) * 1000;
  const counters = new Map<string, Counter>();

  const recent = (key: string, now: number) => {
    const c = counters.get(key);
    if (!c) return [];
    c.failures = c.failures.filter((t) => now - t < windowMs);
    if (c.failures.length === 0) counters.delete(key);
    return c.failures;
  };

  /** Milliseconds until `key` may try again; 0 when free. */
  const waitFor = (key: string, allowance: number, now: number) => {
    const f = recent(key, now);
    if (f.length < allowance) return 0;
    const delay = Math.min(1000 * 2 ** (f.length - allowance), maxDelayMs);
    return Math.max(0, f[f.length - 1]! + delay - now);
  };

  // Bound memory: an attacker cycling addresses must not grow the map without limit.
  const sweep = (now: number) => {
    if (counters.size < 10_000) return;
    for (const key of counters.keys()) recent(key, now);
  };

  return {
    check(identity, address) {
      const now = Date.now();
      const wait = Math.max(identity ? waitFor(`id:${identity}`, perIdentity, now) : 0, waitFor(`ip:${address}`, perAddress, now));
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        options.logger?.warn({ identity, address, retryAfter: seconds }, 'login throttled after repeated failures');
        throw registryError('TOO_MANY_REQUESTS', `too many failed logins; retry after ${seconds} s`, {}, { 'Retry-After': String(seconds) });
      }
    },
    fail(identity, address) {
      const now = Date.now();
      sweep(now);
      for (const key of [identity ? `id:${identity}` : undefined, `ip:${address}`]) {
        if (!key) continue;
        const c = counters.get(key) ?? { failures: [] };
        c.failures.push(now);
        counters.set(key, c);
      }
      options.logger?.warn({ identity, address, failures: recent(`ip:${address}`, now).length }, 'failed login');
    },
    succeed(identity) {
      counters.delete(`id:${identity}`);
    },
  };
}
