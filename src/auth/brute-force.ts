/**
 * Slows down password guessing without handing an attacker a way to lock anyone out.
 *
 * Two rules, both per node-independent key in the database (every node on one database
 * counts the same attempts; the table is auth's `login_throttle`):
 * - per (identity, address): `perPair` free attempts in the window, then each further one must
 *   wait an exponentially growing delay (1 s, 2 s, 4 s ... capped at `maxDelaySeconds`);
 * - per address: `perAddress` free attempts (of any identity), then the same.
 * There is deliberately NO per-identity rule across addresses: five guesses for `admin` from
 * one address used to lock the real admin out everywhere. A guesser slows only itself.
 *
 * The attempt is RESERVED (counted) atomically before the password is checked, so a wave of
 * concurrent guesses cannot all slip through before the first failure is recorded; a success
 * then clears the pair and gives the address its attempt back. Each change is one conditional
 * statement (compare-and-set), so two nodes racing on a key never both win.
 *
 * Separately, per node and in memory, `enter` bounds how many password checks one identity
 * and one address may have queued or running at once (scrypt is slow and the pool is shared):
 * the excess is refused at once with 429 and `Retry-After: 1`, so a flood from one place
 * neither delays other users' logins nor grows memory.
 *
 * Refusals are 429 TOOMANYREQUESTS with `Retry-After`, given BEFORE the password is checked:
 * the guesser learns nothing about the password.
 *
 * A flood is refused from memory: once a key is seen slowed, this node remembers its
 * `blockedUntil` for at most `recheckMs` (2 s) and refuses without reading the row, so the
 * refusals of a flood cost no database work and a good login is not queued behind them. The
 * copy never refuses longer than the row said; its only staleness is a success on ANOTHER node
 * clearing the pair, which this node honours at the next re-check, within `recheckMs`.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { registryError } from '../errors/index.ts';
import type { LoginThrottleRow, LoginThrottleStore } from './store/identity-store.ts';

export interface LoginLimiterOptions {
  /** Free attempts per (identity, address) in the window (default 5). */
  perPair?: number;
  /** Free attempts per address in the window, any identity (default 30). */
  perAddress?: number;
  windowSeconds?: number;
  maxDelaySeconds?: number;
  /** Password checks one identity may have in flight on this node (default 8). */
  inFlightPerIdentity?: number;
  /** Password checks one address may have in flight on this node (default 8). */
  inFlightPerAddress?: number;
  /** How long this node refuses a slowed key from memory before reading its row again (default 2000). */
  recheckMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** An attempt counted before the password check; tell it how the check went. */
export interface LoginReservation {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
  /** The check could not run (e.g. refused for load): the attempt is given back. */
  cancelled(): Promise<void>;
}

export interface LoginLimiter {
  /**
   * Takes an in-flight slot for `identity` (may be undefined) and `address`, or throws 429 at
   * once. Call the returned function when the check is over.
   */
  enter(identity: string | undefined, address: string): () => void;
  /** Counts the attempt, or throws 429 (with Retry-After) while the pair or address is slowed. */
  reserve(identity: string | undefined, address: string): Promise<LoginReservation>;
}

// The identity is hashed: it comes from the request and may hold anything (PostgreSQL text
// refuses NUL), and the key stays short.
const pairKey = (identity: string, address: string) => `pair:${address}|${createHash('sha256').update(identity).digest('base64url')}`;
const addressKey = (address: string) => `addr:${address}`;

function tooMany(waitMs: number, why: string) {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return registryError('TOO_MANY_REQUESTS', `${why}; retry after ${seconds} s`, {}, { 'Retry-After': String(seconds) });
}

export function createLoginLimiter(store: LoginThrottleStore, options: LoginLimiterOptions = {}): LoginLimiter {
  const perPair = options.perPair ?? 5;
  const perAddress = options.perAddress ?? 30;
  const windowMs = (options.windowSeconds ?? 900) * 1000;
  const maxDelayMs = (options.maxDelaySeconds ?? 300) * 1000;
  const inFlightPerIdentity = options.inFlightPerIdentity ?? 8;
  const inFlightPerAddress = options.inFlightPerAddress ?? 8;
  const now = options.now ?? Date.now;
  const recheckMs = options.recheckMs ?? 2000;
  const inFlight = new Map<string, number>();
  const slowed = new SlowedKeys();
  let lastPrune = 0;

  /** Counts one attempt on `key`; throws 429 while the key is slowed down. */
  async function count(key: string, allowance: number): Promise<void> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const t = now();
      let row: LoginThrottleRow | undefined = await store.get(key);
      if (!row) {
        await store.ensure(key, t);
        row = await store.get(key);
        if (!row) continue;
      }
      if (row.blockedUntil > t) {
        slowed.remember(key, row.blockedUntil, t + recheckMs);
        throw tooMany(row.blockedUntil - t, 'too many failed logins');
      }
      const failures = (t - row.updatedAt > windowMs ? 0 : row.failures) + 1;
      const blockedUntil = failures >= allowance ? t + Math.min(1000 * 2 ** (failures - allowance), maxDelayMs) : 0;
      // updatedAt must change for the compare-and-set to tell writers apart.
      const updatedAt = Math.max(t, row.updatedAt + 1);
      if (await store.compareAndSet(key, row, { failures, blockedUntil, updatedAt })) {
        if (blockedUntil > t) slowed.remember(key, blockedUntil, t + recheckMs);
        return;
      }
    }
    // Lost every race: the key is being hammered right now.
    throw tooMany(1000, 'too many concurrent logins');
  }

  function prune() {
    const t = now();
    if (t - lastPrune < 60_000) return;
    lastPrune = t;
    store.prune(t - windowMs, t).catch((err) => options.logger?.warn({ err }, 'pruning the login throttle failed'));
  }

  function take(key: string, limit: number): boolean {
    const n = inFlight.get(key) ?? 0;
    if (n >= limit) return false;
    inFlight.set(key, n + 1);
    return true;
  }
  function give(key: string) {
    const n = (inFlight.get(key) ?? 1) - 1;
    if (n <= 0) inFlight.delete(key);
    else inFlight.set(key, n);
  }

  return {
    enter(identity, address) {
      const keys: string[] = [];
      const release = () => keys.forEach(give);
      const ok = take(`a:${address}`, inFlightPerAddress) && keys.push(`a:${address}`) && (!identity || (take(`i:${identity}`, inFlightPerIdentity) && keys.push(`i:${identity}`)));
      if (!ok) {
        release();
        options.logger?.warn({ identity, address }, 'login refused: too many password checks in flight');
        throw tooMany(1000, 'too many logins in progress');
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
      };
    },

    async reserve(identity, address) {
      prune();
      const pair = identity ? pairKey(identity, address) : undefined;
      const addr = addressKey(address);
      // Refused from memory before anything is counted or logged: the refusal that put the key
      // there was logged, so a flood writes one line per key and re-check period, not per request.
      const t = now();
      const remembered = (pair && slowed.until(pair, t)) || slowed.until(addr, t);
      if (remembered) throw tooMany(remembered - t, 'too many failed logins');
      const counted: string[] = [];
      try {
        if (pair) {
          await count(pair, perPair);
          counted.push(pair);
        }
        await count(addr, perAddress);
        counted.push(addr);
      } catch (err) {
        // A refusal on the address must not cost the pair an attempt that never happened.
        for (const key of counted) await store.refund(key);
        options.logger?.warn({ identity, address, reason: (err as Error).message }, 'login throttled');
        throw err;
      }
      return {
        async succeeded() {
          if (pair) {
            slowed.forget(pair);
            await store.delete(pair);
          }
          await store.refund(addr);
        },
        async failed() {
          options.logger?.warn({ identity, address }, 'failed login');
        },
        async cancelled() {
          for (const key of counted) await store.refund(key);
        },
      };
    },
  };
}

/**
 * This node's memory of slowed keys: each entry is the row's `blockedUntil` and the moment to
 * read the row again. Bounded: past `limit` keys the oldest remembered are dropped (a dropped
 * key only costs its next refusal a database read).
 */
class SlowedKeys {
  private readonly entries = new Map<string, { blockedUntil: number; recheckAt: number }>();
  constructor(private readonly limit = 10_000) {}

  /** The remembered `blockedUntil` while it and the re-check time are both ahead, else 0. */
  until(key: string, t: number): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    if (entry.blockedUntil > t && entry.recheckAt > t) return entry.blockedUntil;
    this.entries.delete(key);
    return 0;
  }

  remember(key: string, blockedUntil: number, recheckAt: number) {
    this.entries.delete(key);
    this.entries.set(key, { blockedUntil, recheckAt: Math.min(recheckAt, blockedUntil) });
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(key: string) {
    this.entries.delete(key);
  }
}
