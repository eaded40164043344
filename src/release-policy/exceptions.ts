/**
 * Exceptions to findings (docs/release-policy.md "Exceptions"): a vulnerability id excepted for
 * one image (REPO@DIGEST), a repository pattern, or everything; each with a reason, an owner
 * (its creator), an expiry and an optional ticket link.
 *
 * Who may create, approve and revoke: a principal holding `quarantine_exception_write`
 * (AcrQuarantineWriter, Owner, a scope map's `quarantine/exception-write`) on what the exception
 * reaches: for a digest its repository, for a name that repository, for a glob pattern EVERY
 * repository under its literal prefix (`team-a/*` needs it on all of `team-a/`, which an
 * assignment on `team-a/*` gives and one on `team-a/app` does not), for `all` every repository.
 *
 * The two-person rule: when a policy that would use the exception says
 * `exceptions.requireApproval`, the exception is created `pending` and counts only once someone
 * else with exception write approves it; the creator cannot. Otherwise it is `active` at once.
 * Expired exceptions stop counting at once (evaluation asks for the active ones at its `now`);
 * the sweep re-evaluates what they covered. Every create, approve and revoke is audited.
 */
import { randomBytes } from 'node:crypto';
import type { AccessContext } from '../access/actions.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/index.ts';
import { parseDigest } from '../oci/index.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import type { ExceptionRecord, ExceptionScope } from './policy-store.ts';
import type { ReleasePolicyRoles } from './store/index.ts';
import { governingOf } from './decide.ts';
import { isValidPolicyPattern, literalPrefix } from './patterns.ts';
import type { Static } from 'typebox';
import type { ExceptionView as ExceptionViewSchema } from './policy-schemas.ts';

type Tx = Pick<CoreRoles, 'audit'> & ReleasePolicyRoles;

export const MAX_EXCEPTION_DAYS = 366;
const VULNERABILITY_ID = /^[A-Za-z][A-Za-z0-9._:-]{2,99}$/;

export interface ExceptionInput {
  vulnerability?: unknown;
  repository?: unknown;
  digest?: unknown;
  all?: unknown;
  reason?: unknown;
  expires?: unknown;
  ticket?: unknown;
}

export interface CheckedException {
  vulnerability: string;
  scope: ExceptionScope;
  repository?: string;
  digest?: string;
  reason: string;
  expiresAt: Date;
  ticket?: string;
}

const bad = (field: string, message: string) => registryError('BAD_REQUEST', `${field} ${message}`, { field });

export function checkException(body: ExceptionInput, now: Date): CheckedException {
  if (typeof body.vulnerability !== 'string' || !VULNERABILITY_ID.test(body.vulnerability)) throw bad('vulnerability', 'must be a vulnerability id such as CVE-2021-44906');
  const scopes = [body.repository !== undefined, body.digest !== undefined, body.all === true].filter(Boolean).length;
  if (scopes !== 1) throw bad('repository', 'exactly one of repository (a pattern), digest (REPO@DIGEST) or all: true is required');
  let scope: ExceptionScope = 'all';
  let repository: string | undefined;
  let digest: string | undefined;
  if (body.repository !== undefined) {
    if (typeof body.repository !== 'string' || !isValidPolicyPattern(body.repository)) throw bad('repository', 'must be a repository name or pattern (* one segment, ** any depth)');
    scope = 'repository';
    repository = body.repository;
  } else if (body.digest !== undefined) {
    const at = typeof body.digest === 'string' ? body.digest.indexOf('@') : -1;
    const repo = at > 0 ? (body.digest as string).slice(0, at) : '';
    const d = at > 0 ? (body.digest as string).slice(at + 1) : '';
    if (!isValidRepositoryName(repo) || !parseDigest(d)) throw bad('digest', 'must be REPO@DIGEST (team/app@sha256:...)');
    scope = 'digest';
    repository = repo;
    digest = d;
  }
  if (typeof body.reason !== 'string' || body.reason.trim().length < 3 || body.reason.length > 1024) throw bad('reason', 'must say why, in 3 to 1024 characters');
  const expiresAt = typeof body.expires === 'string' ? new Date(body.expires) : new Date(Number.NaN);
  if (Number.isNaN(expiresAt.getTime())) throw bad('expires', 'must be a date (2027-01-31 or an ISO timestamp)');
  if (expiresAt <= now) throw bad('expires', 'must be in the future');
  if (expiresAt.getTime() - now.getTime() > MAX_EXCEPTION_DAYS * 86_400_000) throw bad('expires', `must be within ${MAX_EXCEPTION_DAYS} days: exceptions are reviewed, not forever`);
  let ticket: string | undefined;
  if (body.ticket !== undefined) {
    let url: URL | undefined;
    try {
      url = typeof body.ticket === 'string' && body.ticket.length <= 2048 ? new URL(body.ticket) : undefined;
    } catch {
      /* below */
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw bad('ticket', 'must be an http(s) URL');
    ticket = body.ticket as string;
  }
  return { vulnerability: body.vulnerability, scope, ...(repository ? { repository } : {}), ...(digest ? { digest } : {}), reason: body.reason.trim(), expiresAt, ...(ticket ? { ticket } : {}) };
}

/** Whether the caller holds exception write on everything this exception reaches. */
export function mayWriteException(access: AccessContext, e: Pick<ExceptionRecord, 'scope' | 'repository'>): boolean {
  if (e.scope === 'all' || !e.repository) return access.canEveryUnder('', 'quarantine_exception_write');
  if (e.repository.includes('*')) return access.canEveryUnder(literalPrefix(e.repository), 'quarantine_exception_write');
  return access.can(e.repository, 'quarantine_exception_write');
}

/** The refusal's words, naming the action and what it must cover. */
export function exceptionWriteNeeded(e: Pick<ExceptionRecord, 'scope' | 'repository'>): string {
  const where = e.scope === 'all' || !e.repository ? 'every repository' : e.repository.includes('*') ? `every repository under ${literalPrefix(e.repository) || '/'}` : e.repository;
  return `needs quarantine/exception-write (AcrQuarantineWriter or Owner) on ${where}`;
}

/** Whether a policy that could use the exception asks for a second person's approval. */
async function needsApproval(tx: Tx, e: CheckedException): Promise<boolean> {
  const policies = await tx.releasePolicies.list();
  if (e.scope !== 'all' && e.repository && !e.repository.includes('*')) return governingOf(policies, e.repository)?.policy.document.exceptions.requireApproval ?? false;
  return policies.some((p) => p.document.enabled && p.document.exceptions.requireApproval);
}

export function exceptionView(e: ExceptionRecord, now = new Date()): Static<typeof ExceptionViewSchema> {
  return {
    id: e.id,
    vulnerability: e.vulnerability,
    scope: e.scope,
    ...(e.repository ? { repository: e.repository } : {}),
    ...(e.digest ? { digest: e.digest } : {}),
    reason: e.reason,
    ...(e.ticket ? { ticket: e.ticket } : {}),
    owner: e.owner,
    createdAt: e.createdAt.toISOString(),
    expiresAt: e.expiresAt.toISOString(),
    status: e.status === 'active' && e.expiresAt <= now ? 'expired' : e.status,
    ...(e.approvedBy ? { approvedBy: e.approvedBy, approvedAt: e.approvedAt?.toISOString() } : {}),
    ...(e.revokedBy ? { revokedBy: e.revokedBy, revokedAt: e.revokedAt?.toISOString() } : {}),
  };
}

/** The repositories whose images an exception can change, as re-evaluation patterns. */
export const exceptionPatterns = (e: Pick<ExceptionRecord, 'scope' | 'repository'>) => (e.scope === 'all' || !e.repository ? ['**'] : [e.repository]);

const auditOf = (e: ExceptionRecord) => ({ vulnerability: e.vulnerability, scope: e.scope, repository: e.repository ?? null, digest: e.digest ?? null, status: e.status, expiresAt: e.expiresAt.toISOString(), reason: e.reason, ticket: e.ticket ?? null });

export async function createException(tx: Tx, checked: CheckedException, ctx: { actor: string; requestId?: string }): Promise<ExceptionRecord> {
  const status = (await needsApproval(tx, checked)) ? 'pending' : 'active';
  const record = await tx.policyExceptions.create({ id: `ex-${randomBytes(6).toString('hex')}`, ...checked, owner: ctx.actor, status });
  if (status === 'active') await tx.releaseReevaluations.enqueue({ patterns: exceptionPatterns(record), why: 'exception changed' });
  await tx.audit.append({ actor: ctx.actor, action: 'exception.create', target: `exception:${record.id}`, before: null, after: auditOf(record), details: `${record.vulnerability} excepted (${record.scope}${record.repository ? ` ${record.repository}` : ''}${record.digest ? `@${record.digest}` : ''}) until ${record.expiresAt.toISOString()}: ${record.reason}${status === 'pending' ? ' (pending a second approval)' : ''}`, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) });
  return record;
}

export async function approveException(tx: Tx, id: string, ctx: { actor: string; requestId?: string; now: Date }): Promise<ExceptionRecord> {
  const current = await tx.policyExceptions.get(id);
  if (!current) throw registryError('NOT_FOUND', `exception ${id} not found`);
  if (current.status !== 'pending') throw registryError('CONFLICT', `exception ${id} is ${current.status}, not pending`);
  if (current.owner === ctx.actor) throw registryError('DENIED', `exception ${id} needs a second person: its creator (${ctx.actor}) cannot approve it`);
  if (current.expiresAt <= ctx.now) throw registryError('CONFLICT', `exception ${id} has expired`);
  const approved = await tx.policyExceptions.approve(id, ctx.actor, ctx.now);
  if (!approved) throw registryError('CONFLICT', `exception ${id} changed meanwhile`);
  await tx.releaseReevaluations.enqueue({ patterns: exceptionPatterns(approved), why: 'exception changed' });
  await tx.audit.append({ actor: ctx.actor, action: 'exception.approve', target: `exception:${id}`, before: auditOf(current), after: auditOf(approved), ...(ctx.requestId ? { requestId: ctx.requestId } : {}) });
  return approved;
}

export async function revokeException(tx: Tx, id: string, ctx: { actor: string; requestId?: string; now: Date }): Promise<ExceptionRecord> {
  const current = await tx.policyExceptions.get(id);
  if (!current) throw registryError('NOT_FOUND', `exception ${id} not found`);
  const revoked = await tx.policyExceptions.revoke(id, ctx.actor, ctx.now);
  if (!revoked) throw registryError('CONFLICT', `exception ${id} is already revoked`);
  await tx.releaseReevaluations.enqueue({ patterns: exceptionPatterns(revoked), why: 'exception changed' });
  await tx.audit.append({ actor: ctx.actor, action: 'exception.revoke', target: `exception:${id}`, before: auditOf(current), after: auditOf(revoked), ...(ctx.requestId ? { requestId: ctx.requestId } : {}) });
  return revoked;
}
