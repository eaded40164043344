/**
 * The signed-in session, held in this module's memory only. Nothing here ever touches
 * localStorage, sessionStorage, IndexedDB or cookies: closing or reloading the tab signs out.
 *
 * The password is used once, at sign-in, to obtain a refresh token (POST /oauth2/token,
 * grant_type=password, access_type=offline) and is then forgotten. The refresh token buys
 * short-lived bearer tokens per scope (Docker token auth), exactly like `docker` does, and
 * authenticates /api/v1 calls as ACR's null-GUID login. Sign-out drops the refresh token and
 * every access token and bumps `generation`, so answers to requests made before sign-out are
 * thrown away.
 */

export interface Credentials {
  /** Shown in the header; never sent anywhere after sign-in. */
  username: string;
  refreshToken: string;
}

interface CachedToken {
  token: string;
  /** ms since the epoch; a token is reused until 10 s before this. */
  expiresAt: number;
}

let credentials: Credentials | null = null;
let authOff = false;
let generation = 0;
const tokens = new Map<string, CachedToken>();
const listeners = new Set<() => void>();

export function currentCredentials(): Credentials | null {
  return credentials;
}

/** True when the registry runs with `auth.mode: none` (no challenge was ever sent). */
export function isAuthOff(): boolean {
  return authOff;
}

export function currentGeneration(): number {
  return generation;
}

export function startSession(next: Credentials | null, options: { authOff?: boolean } = {}) {
  tokens.clear();
  credentials = next;
  authOff = options.authOff ?? false;
  generation += 1;
  for (const listener of listeners) listener();
}

export function endSession() {
  tokens.clear();
  credentials = null;
  authOff = false;
  generation += 1;
  for (const listener of listeners) listener();
}

export function isSignedIn(): boolean {
  return credentials !== null || authOff;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function cachedToken(scope: string): string | null {
  const hit = tokens.get(scope);
  if (!hit) return null;
  if (hit.expiresAt - 10_000 < Date.now()) {
    tokens.delete(scope);
    return null;
  }
  return hit.token;
}

export function cacheToken(scope: string, token: string, expiresAt: number) {
  tokens.set(scope, { token, expiresAt });
}

export function forgetToken(scope: string) {
  tokens.delete(scope);
}
