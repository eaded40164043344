/**
 * Applying and deleting release policies: check the document, store the next version, audit it
 * (`release-policy.apply` / `release-policy.delete`, target `release-policy:<name>`, before and
 * after, and the diff in `details`), and the re-evaluation of the repositories the old and new
 * patterns match, recorded in the durable queue (./reevaluation-queue.ts), all in one
 * transaction. The caller wakes the queue after the commit.
 */
import { createTwoFilesPatch } from 'diff';
import { createPublicKey } from 'node:crypto';
import type { CoreRoles } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/index.ts';
import { canonicalJson, parsePolicyDocument, PolicyDocumentError, type PolicyDocument } from './document.ts';
import type { ReleasePolicyRecord } from './policy-store.ts';
import type { ReleasePolicyRoles } from './store/index.ts';

type Tx = Pick<CoreRoles, 'audit'> & Pick<ReleasePolicyRoles, 'releasePolicies' | 'releaseReevaluations'>;

/** Reads a document from a request body field; bad documents are a 400 naming the field. */
export async function documentOf(input: unknown): Promise<{ document: PolicyDocument; source: string }> {
  if (input === undefined || input === null) throw registryError('BAD_REQUEST', 'document is required: the policy as YAML or JSON text, or as an object', { field: 'document' });
  try {
    const document = await parsePolicyDocument(input);
    return { document, source: typeof input === 'string' ? input : JSON.stringify(input, null, 2) };
  } catch (err) {
    if (err instanceof PolicyDocumentError) throw registryError('BAD_REQUEST', err.message, { field: err.field });
    throw err;
  }
}

/** Problems that do not refuse a document but mean a rule cannot pass as written (unusable keys). */
export function warningsOf(doc: PolicyDocument): string[] {
  const out: string[] = [];
  doc.rules.forEach((rule, i) => {
    rule.signatures?.cosign?.keys.forEach((key, k) => {
      try {
        createPublicKey(key);
      } catch {
        out.push(`rules[${i}].signatures.cosign.keys[${k}] is not a usable public key: rule ${rule.name} will not count it`);
      }
    });
    rule.provenance?.cosign.keys.forEach((key, k) => {
      try {
        createPublicKey(key);
      } catch {
        out.push(`rules[${i}].provenance.cosign.keys[${k}] is not a usable public key: rule ${rule.name} will not trust attestations signed with it`);
      }
    });
    rule.vulnerabilities?.vex?.cosign?.keys.forEach((key, k) => {
      try {
        createPublicKey(key);
      } catch {
        out.push(`rules[${i}].vulnerabilities.vex.cosign.keys[${k}] is not a usable public key: rule ${rule.name} will not trust VEX documents signed with it`);
      }
    });
  });
  return out;
}

/** A unified diff of two versions' canonical JSON ('' when equal). */
export function diffOf(name: string, before: { version: number; document: PolicyDocument } | undefined, after: { version: number; document: PolicyDocument } | undefined): string {
  const a = before ? canonicalJson(before.document) + '\n' : '';
  const b = after ? canonicalJson(after.document) + '\n' : '';
  if (a === b) return '';
  return createTwoFilesPatch(before ? `${name} v${before.version}` : '/dev/null', after ? `${name} v${after.version}` : '/dev/null', a, b, undefined, undefined, { context: 3 });
}

const AUDIT_DIFF_LIMIT = 16 * 1024;
const bounded = (text: string) => (text.length > AUDIT_DIFF_LIMIT ? `${text.slice(0, AUDIT_DIFF_LIMIT)}\n... (diff cut at ${AUDIT_DIFF_LIMIT} characters)` : text);

export interface ApplyResult {
  record: ReleasePolicyRecord;
  previous?: ReleasePolicyRecord;
  changed: boolean;
  diff: string;
}

export async function applyPolicy(tx: Tx, input: { document: PolicyDocument; source: string; actor: string; requestId?: string; expectedVersion?: number }): Promise<ApplyResult> {
  const name = input.document.name;
  const current = await tx.releasePolicies.get(name);
  if (input.expectedVersion !== undefined && (current?.version ?? 0) !== input.expectedVersion) {
    throw registryError('CONFLICT', `release policy ${name} is at version ${current?.version ?? 0}, not ${input.expectedVersion}: read it again`, { field: 'expectedVersion', version: current?.version ?? 0 });
  }
  // Applying the same document again is a no-op: no version, no audit entry.
  if (current && canonicalJson(current.document) === canonicalJson(input.document)) return { record: current, changed: false, diff: '' };
  const put = await tx.releasePolicies.put({ name, document: input.document, source: input.source, actor: input.actor, ...(current ? { expectedVersion: current.version } : { expectedVersion: 0 }) });
  if ('conflict' in put) throw registryError('CONFLICT', `release policy ${name} changed meanwhile: apply again`);
  const diff = diffOf(name, current, put.record);
  await tx.releaseReevaluations.enqueue({ patterns: [...new Set([...input.document.repositories, ...(current?.document.repositories ?? [])])], why: 'policy changed' });
  await tx.audit.append({
    actor: input.actor,
    action: 'release-policy.apply',
    target: `release-policy:${name}`,
    before: current ? { version: current.version, document: current.document } : null,
    after: { version: put.record.version, document: put.record.document },
    details: bounded(diff),
    ...(input.requestId ? { requestId: input.requestId } : {}),
  });
  return { record: put.record, ...(current ? { previous: current } : {}), changed: true, diff };
}

export async function deletePolicy(tx: Tx, name: string, ctx: { actor: string; requestId?: string }): Promise<ReleasePolicyRecord> {
  const removed = await tx.releasePolicies.delete(name, ctx.actor);
  if (!removed) throw registryError('NOT_FOUND', `release policy ${name} not found`);
  await tx.releaseReevaluations.enqueue({ patterns: removed.document.repositories, why: 'policy changed' });
  await tx.audit.append({
    actor: ctx.actor,
    action: 'release-policy.delete',
    target: `release-policy:${name}`,
    before: { version: removed.version, document: removed.document },
    after: null,
    details: bounded(diffOf(name, removed, undefined)),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
  });
  return removed;
}
