/**
 * A bounded memo of successful token verifications, so a client that reuses one bearer token
 * for minutes pays one ECDSA verify (a WebCrypto job on the thread pool), not one per request:
 * the bench showed verification at 20-40% of a manifest GET with token auth on.
 *
 * Why this is exactly as strict as verifying again:
 * - The key is the exact token string, and the entry holds everything else the verification
 *   depended on (the expected audience and grant type, compared on a hit by the caller; issuer
 *   and algorithm are constants), so the same bytes checked against the same expectations
 *   yield the same verified claims. (The token alone is the key so that a hit costs one hash
 *   of a string the request already holds, not a key string built per request.)
 * - An entry is only ever added after a verification passed every check, and it holds the
 *   claims that verification produced (frozen, so no caller can alter what the next one sees).
 * - An entry lives until min(exp, added + 60 s): a hit never accepts a token after its `exp`
 *   (stricter than a verification, which allows 30 s of clock leeway), and a token is
 *   re-verified at least once a minute.
 * - The whole memo is forgotten when the key ring's version moves (a key added, retired,
 *   purged or removed), so no entry outlives the key that verified it.
 * - At most `maxEntries` entries (least recently used evicted first), so a flood of distinct
 *   valid tokens cannot grow memory without bound. Failures are never cached.
 */
export interface TokenCacheOptions {
  maxEntries?: number;
  /** Longest life of an entry, in ms. */
  maxAgeMs?: number;
  now?: () => number;
}

export interface TokenCache<T> {
  /** The cached claims for this exact key, or undefined (expired entries are dropped). */
  get(key: string, keyRingVersion: number): T | undefined;
  /** Remembers claims that just passed verification; `expSeconds` is the token's `exp`. */
  set(key: string, keyRingVersion: number, claims: T, expSeconds: number): void;
  readonly size: number;
}

interface Entry<T> {
  claims: T;
  until: number;
}

export function createTokenCache<T>(options: TokenCacheOptions = {}): TokenCache<T> {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least
  // recently used one.
  const entries = new Map<string, Entry<T>>();
  let version: number | undefined;

  function sameRing(keyRingVersion: number) {
    if (version !== keyRingVersion) {
      entries.clear();
      version = keyRingVersion;
    }
  }

  return {
    get(key, keyRingVersion) {
      sameRing(keyRingVersion);
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (now() >= e.until) return undefined;
      entries.set(key, e);
      return e.claims;
    },
    set(key, keyRingVersion, claims, expSeconds) {
      sameRing(keyRingVersion);
      const t = now();
      const until = Math.min(expSeconds * 1000, t + maxAgeMs);
      if (!(until > t)) return;
      entries.delete(key);
      entries.set(key, { claims, until });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}
