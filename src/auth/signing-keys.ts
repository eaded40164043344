/**
 * The key ring: ES256 keys that sign access and refresh tokens, kept in the metadata store so
 * every node signs and verifies with the same keys.
 *
 * - First start with no key: one is generated (two nodes racing both add one; both verify, the
 *   newest signs).
 * - `rotate()`: a new key signs from now on; older keys are marked retired and still VERIFY
 *   until every token they signed has expired (retiredAt + longest token lifetime + leeway),
 *   then they are purged.
 * - Keys are re-read from the store every 30 s, and at once when a token names an unknown
 *   `kid` (at most once a second), so a rotation on one node reaches the others at once.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTHeaderParameters } from 'jose';
import type { SigningKeyRecord, SigningKeyStore } from './store/identity-store.ts';

export interface KeyRing {
  /** The key that signs new tokens. */
  signingKey(): Promise<{ kid: string; key: CryptoKey }>;
  /** For jose's jwtVerify: the public key of `header.kid` if it may still verify. */
  verificationKey(header: JWTHeaderParameters): Promise<CryptoKey>;
  /** Public keys that may still verify, as a JWK Set. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Makes a new signing key; the old ones stay valid until their tokens expire. Returns the new kid. */
  rotate(): Promise<string>;
  /**
   * A number that changes whenever the set of keys that may verify changes (a key added,
   * retired, purged or removed from the store), after the same reload rules as
   * `verificationKey` (re-read every 30 s). Caches of verified tokens compare it on every use
   * and forget everything when it moved, so no cached verification outlives its key.
   */
  version(): Promise<number>;
}

export interface KeyRingOptions {
  store: SigningKeyStore;
  /** The longest lifetime of any token we sign (seconds): how long a retired key keeps verifying. */
  maxTokenLifetimeSeconds: number;
  leewaySeconds?: number;
}

const RELOAD_MS = 30_000;
const MISS_RELOAD_MS = 1_000;

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const graceMs = (options.maxTokenLifetimeSeconds + (options.leewaySeconds ?? 60)) * 1000;
  let keys: SigningKeyRecord[] = [];
  let loadedAt = 0;
  let missReloadAt = 0;
  let loading: Promise<void> | undefined;
  let version = 0;
  let fingerprint = '';
  const imported = new Map<string, Promise<CryptoKey>>();

  const stillValid = (k: SigningKeyRecord, now: number) => !k.retiredAt || k.retiredAt.getTime() + graceMs > now;

  async function generate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    await options.store.add({
      kid,
      alg: 'ES256',
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
      createdAt: new Date(),
    });
    return kid;
  }

  async function reload(): Promise<void> {
    loading ??= (async () => {
      try {
        let list = await options.store.list();
        if (!list.some((k) => !k.retiredAt)) {
          await generate();
          list = await options.store.list();
        }
        await options.store.purgeRetired(new Date(Date.now() - graceMs));
        keys = list.filter((k) => stillValid(k, Date.now()));
        const next = keys.map((k) => `${k.kid}:${k.retiredAt?.getTime() ?? ''}`).sort().join(',');
        if (next !== fingerprint) {
          fingerprint = next;
          version++;
        }
        loadedAt = Date.now();
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  /** Whether the keys must be read again before use (the one freshness rule of the ring). */
  const stale = () => Date.now() - loadedAt > RELOAD_MS || keys.length === 0;

  async function current(): Promise<SigningKeyRecord[]> {
    if (stale()) await reload();
    return keys;
  }

  const importKey = (k: SigningKeyRecord, which: 'private' | 'public') => {
    const id = `${which}:${k.kid}`;
    let p = imported.get(id);
    if (!p) {
      p = importJWK((which === 'private' ? k.privateJwk : k.publicJwk) as JWK, 'ES256') as Promise<CryptoKey>;
      imported.set(id, p);
    }
    return p;
  };

  return {
    async signingKey() {
      const k = (await current()).find((x) => !x.retiredAt) ?? (await current())[0]!;
      return { kid: k.kid, key: await importKey(k, 'private') };
    },
    async verificationKey(header) {
      if (header.alg !== 'ES256' || typeof header.kid !== 'string') throw new Error('unexpected token header');
      let k = (await current()).find((x) => x.kid === header.kid);
      // Rate-limited per miss (not per load), so a key rotated on another node is picked up at once.
      if (!k && Date.now() - missReloadAt > MISS_RELOAD_MS) {
        missReloadAt = Date.now();
        await reload();
        k = keys.find((x) => x.kid === header.kid);
      }
      if (!k || !stillValid(k, Date.now())) throw new Error(`unknown signing key ${header.kid}`);
      return importKey(k, 'public');
    },
    async jwks() {
      return { keys: (await current()).map((k) => k.publicJwk as JWK) };
    },
    async rotate() {
      const kid = await generate();
      await options.store.retireAllExcept(kid, new Date());
      await reload();
      return kid;
    },
    // Asked on every bearer request (the token memo is tied to it): no async frame when fresh.
    version() {
      if (!stale()) return Promise.resolve(version);
      return current().then(() => version);
    },
  };
}
