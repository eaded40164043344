/**
 * A bounded memo of successful token verifications, so a client that reuses one bearer token
 * for minutes pays one ECDSA verify (a WebCrypto job on the thread pool), not one per request:
 * the bench showed verification at 20-40% of a manifest GET with token auth on.
 *
 * Why this is exactly as strict as verifying again:
 * - A hit requires the exact token string: the entry holds the whole token and compares it
 *   with `===`, and holds everything else the verification depended on (the expected audience
 *   and grant type, compared on a hit by the caller; issuer and algorithm are constants), so
 *   the same bytes checked against the same expectations yield the same verified claims.
 * - The Map is indexed by the token's last KEY_CHARS characters (part of the ES256 signature),
 *   not by the whole token: every request's header is a fresh string, and V8 hashed the ~900
 *   characters of a bearer token on every lookup (~4 us of a ~60 us manifest GET, bench/README
 *   issue 15). Two tokens with the same tail share one slot: the second is a miss (verified in
 *   full, then it takes the slot); never a hit for the other token's claims.
 * - An entry is only ever added after a verification passed every check, and it holds the
 *   claims that verification produced (frozen, so no caller can alter what the next one sees).
 * - An entry lives until min(exp, added + 60 s): a hit never accepts a token after its `exp`
 *   (stricter than a verification, which allows 30 s of clock leeway), and a token is
 *   re-verified at least once a minute.
 * - The whole memo is forgotten when the key ring's version moves (a key added, retired,
 *   purged or removed), so no entry outlives the key that verified it.
 * - At most `maxEntries` entries (least recently used evicted first, to the second: a hit moves
 *   its entry to the young end at most once a second, not on every request), so a flood of
 *   distinct valid tokens cannot grow memory without bound. Failures are never cached.
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
  token: string;
  claims: T;
  until: number;
  /** When the entry last moved to the young end of the Map. */
  moved: number;
}

/** 24 base64url characters: 144 bits of the signature, so honest tokens practically never share a slot. */
const KEY_CHARS = 24;
const slotOf = (token: string) => (token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token);

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
      const slot = slotOf(key);
      const e = entries.get(slot);
      if (!e || e.token !== key) return undefined;
      const t = now();
      if (t >= e.until) {
        entries.delete(slot);
        return undefined;
      }
      if (t - e.moved >= 1000) {
        entries.delete(slot);
        entries.set(slot, e);
        e.moved = t;
      }
      return e.claims;
    },
    set(key, keyRingVersion, claims, expSeconds) {
      sameRing(keyRingVersion);
      const t = now();
      const until = Math.min(expSeconds * 1000, t + maxAgeMs);
      if (!(until > t)) return;
      const slot = slotOf(key);
      entries.delete(slot);
      entries.set(slot, { token: key, claims, until, moved: t });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}
