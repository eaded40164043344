/**
 * The events Lazaret raises, in ACR's exact payload shapes (ACR's API reference 4.3 and, for
 * `quarantine`, the seed). Key order follows ACR's documented examples. A `tag` is omitted
 * (not null) when the manifest was pushed by digest. `ping` is Lazaret's: ACR does not
 * document its ping payload.
 *
 * An event's `id` is minted once, stored in the outbox and sent unchanged on every attempt and
 * redelivery, so receivers can de-duplicate on it (also sent as `X-Lazaret-Event-Id`).
 */
import { randomUUID } from 'node:crypto';
import type { RequestFacts } from './manifest-lifecycle.ts';
import { formatAcrTimestamp, preciseNow } from './acr-timestamp.ts';

/**
 * Actions a webhook may subscribe to (ACR's list; chart_* are accepted but never raised), plus
 * Lazaret's `scan`: a scan of a manifest finished with findings that differ from its previous
 * scan's (docs/scanner.md).
 */
export const WEBHOOK_ACTIONS = ['push', 'delete', 'quarantine', 'scan', 'chart_push', 'chart_delete'] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];
export type EventAction = WebhookAction | 'ping';

export interface PushEvent {
  id: string;
  timestamp: string;
  action: 'push';
  target: { mediaType: string; size: number; digest: string; length: number; repository: string; tag?: string };
  request: { id: string; host: string; method: string; useragent: string };
}

export interface DeleteEvent {
  id: string;
  timestamp: string;
  action: 'delete';
  target: { mediaType: string; digest: string; repository: string };
  request: { id: string; host: string; method: string; useragent: string };
}

export interface QuarantineEvent {
  id: string;
  timestamp: string;
  action: 'quarantine';
  target: { size: number; digest: string; length: number; repository: string; tag?: string };
  request: { id: string; host: string; method: string };
  /** Lazaret's addition when a release policy raised it: a released image violates its policy (docs/release-policy.md "Drift"). */
  policy?: { name: string; version: number; violation: boolean; onViolation: string; quarantineState: string; requarantineAt?: string; failed: { rule: string; reason: string }[]; previouslyFailed?: string[] };
}

/** ACR-style target and request, plus what the scan found. */
export interface ScanEvent {
  id: string;
  timestamp: string;
  action: 'scan';
  target: { mediaType: string; size: number; digest: string; length: number; repository: string; tag?: string };
  request: { id: string; host: string; method: string; useragent: string };
  scan: {
    scanner: string;
    /** Why it ran: push, rescan, backlog, manual, db-update. */
    reason: string;
    /** Findings per severity: Critical, High, Medium, Low, Unknown. */
    counts: Record<string, number>;
    /** The counts of the previous scan, when there was one. */
    previousCounts?: Record<string, number>;
    /** Whether the findings fail the image under the registry's threshold. */
    failed: boolean;
    /** The verdict after the scan (absent when the policy is off). */
    quarantineState?: string;
    /** Digest of the vulnerability-report referrer. */
    report?: string;
  };
}

export interface PingEvent {
  id: string;
  timestamp: string;
  action: 'ping';
}

export type EventPayload = PushEvent | DeleteEvent | QuarantineEvent | ScanEvent | PingEvent;

/** What scope filtering looks at: the repository and tag an event is about (none for ping). */
export function eventSubject(event: EventPayload): { repository?: string; tag?: string } {
  if (event.action === 'ping') return {};
  return { repository: event.target.repository, tag: 'tag' in event.target ? event.target.tag : undefined };
}

interface Common {
  /** Defaults to a new UUID. */
  id?: string;
  /** Milliseconds since the epoch (fractions kept); defaults to now. */
  at?: number;
}

const header = (c: Common) => ({ id: c.id ?? randomUUID(), timestamp: formatAcrTimestamp(c.at ?? preciseNow()) });

export interface ManifestFacts {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  tag?: string;
}

export function pushEvent(m: ManifestFacts, request: RequestFacts, c: Common = {}): PushEvent {
  const target: PushEvent['target'] = { mediaType: m.mediaType, size: m.size, digest: m.digest, length: m.size, repository: m.repository };
  if (m.tag !== undefined) target.tag = m.tag;
  return {
    ...header(c),
    action: 'push',
    target,
    request: { id: request.id, host: request.host, method: request.method, useragent: request.useragent },
  };
}

export function quarantineEvent(m: Omit<ManifestFacts, 'mediaType'>, request: RequestFacts, c: Common = {}): QuarantineEvent {
  const target: QuarantineEvent['target'] = { size: m.size, digest: m.digest, length: m.size, repository: m.repository };
  if (m.tag !== undefined) target.tag = m.tag;
  return { ...header(c), action: 'quarantine', target, request: { id: request.id, host: request.host, method: request.method } };
}

export function deleteEvent(m: Omit<ManifestFacts, 'size' | 'tag'>, request: RequestFacts, c: Common = {}): DeleteEvent {
  return {
    ...header(c),
    action: 'delete',
    target: { mediaType: m.mediaType, digest: m.digest, repository: m.repository },
    request: { id: request.id, host: request.host, method: request.method, useragent: request.useragent },
  };
}

export function scanEvent(m: ManifestFacts, request: RequestFacts, scan: ScanEvent['scan'], c: Common = {}): ScanEvent {
  const target: ScanEvent['target'] = { mediaType: m.mediaType, size: m.size, digest: m.digest, length: m.size, repository: m.repository };
  if (m.tag !== undefined) target.tag = m.tag;
  return { ...header(c), action: 'scan', target, request: { id: request.id, host: request.host, method: request.method, useragent: request.useragent }, scan };
}

export function pingEvent(c: Common = {}): PingEvent {
  return { ...header(c), action: 'ping' };
}
