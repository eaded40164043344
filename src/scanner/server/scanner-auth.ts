/**
 * Optional authentication of the scanner's API callers (the registry, or Harbor): any of an API
 * key (`X-ScannerAdapter-API-Key`), a Bearer token or a Basic user/password, as configured.
 * Nothing configured = open (the default listen address is loopback). Secrets are compared in
 * constant time over their SHA-256 digests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ScannerAuthConfig } from './server-config.ts';

const same = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

export function authRequired(auth: ScannerAuthConfig): boolean {
  return Boolean(auth.apiKey || auth.bearerToken || auth.basic);
}

export function isAuthorized(auth: ScannerAuthConfig, headers: Record<string, string | string[] | undefined>): boolean {
  if (!authRequired(auth)) return true;
  const key = headers['x-scanneradapter-api-key'];
  if (auth.apiKey && typeof key === 'string' && same(key, auth.apiKey)) return true;
  const authorization = typeof headers.authorization === 'string' ? headers.authorization : '';
  const space = authorization.indexOf(' ');
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (auth.bearerToken && scheme === 'bearer' && same(value, auth.bearerToken)) return true;
  if (auth.basic && scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && same(decoded.slice(0, colon), auth.basic.user) && same(decoded.slice(colon + 1), auth.basic.password)) return true;
  }
  return false;
}
