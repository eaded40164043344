/**
 * Which scanner scans a repository, and a client for it.
 *
 * Decision: an enabled scanner whose patterns match the repository wins (the first by name
 * when several do); otherwise the default scanner, whose patterns are then ignored (it covers
 * every repository no other scanner claims). No match and no default: nobody covers the
 * repository, its jobs wait and say so (fail closed), and an external scanner driven by the
 * `quarantine` webhook (ACR's flow) decides instead: the orchestrator is optional per pattern.
 */
import { matchesPattern } from '../access/patterns.ts';
import { createAdapterClient, type AdapterAuth, type AdapterClient } from './adapter-client.ts';
import type { ScannerRecord } from './scanner-store.ts';

export function chooseScanner(scanners: readonly ScannerRecord[], repository: string): ScannerRecord | undefined {
  const enabled = scanners.filter((s) => s.enabled);
  return enabled.find((s) => !s.isDefault && s.patterns.some((p) => matchesPattern(p, repository))) ?? enabled.find((s) => s.isDefault);
}

export function authOf(s: ScannerRecord): AdapterAuth {
  if (s.authKind === 'none' || s.authSecret === undefined) return { kind: 'none' };
  return { kind: s.authKind, secret: s.authSecret };
}

export function clientFor(s: ScannerRecord, timeoutMs: number, defaultRefreshMs?: number): AdapterClient {
  return createAdapterClient({ url: s.url, auth: authOf(s), timeoutMs, ...(defaultRefreshMs ? { defaultRefreshMs } : {}) });
}

/** "10:42" (UTC) of a time, for queue messages. */
export const clock = (d: Date) => d.toISOString().slice(11, 16);

/** Why a job waits for this scanner, or undefined when it may be used now. */
export function scannerUnavailable(s: ScannerRecord): string | undefined {
  if (s.health === 'unreachable') return `waiting for scanner ${s.name}: unreachable since ${clock(s.unreachableSince ?? s.checkedAt ?? new Date())} UTC`;
  if (s.health === 'invalid') return `waiting for scanner ${s.name}: ${s.healthMessage ?? 'its metadata is unusable'}`;
  return undefined;
}
