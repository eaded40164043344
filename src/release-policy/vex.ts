/**
 * OpenVEX statements as exceptions to findings (docs/release-policy.md "VEX").
 *
 * Where they come from: OCI 1.1 referrers of the image with artifactType
 * `application/vnd.openvex+json` whose first layer is the OpenVEX JSON document.
 *
 * Trust: **a VEX document counts only when its referrer manifest carries a cosign signature
 * that a key of the rule's `vex.cosign.keys` verifies** (either cosign scheme, checked exactly
 * as image signatures are: ./cosign.ts), **or a keyless one** (cosign's `.sig` layer with a
 * certificate) that the rule's `vex.keyless` accepts: the certificate chains to its trusted
 * root, the signing time is trusted, the identity is one it names (./sigstore.ts). Pushing a VEX document is easy for anyone who may
 * push; signing it with the key the policy trusts is what says "this author vouches for it".
 * The document's `author` field is only shown, never trusted by itself.
 *
 * What a statement does: a `not_affected` or `fixed` statement excepts a finding when its
 * vulnerability (name, @id or an alias) is the finding's id and one of its products is this
 * image: the digest itself, an `pkg:oci/...@sha256:...` purl of it, or a `sha-256` hash of it
 * (a product named only by repository or tag does not count: VEX is about one build). When the
 * statement lists subcomponents, only findings in those packages are covered. Of several
 * statements about one finding, the newest (statement timestamp, else the document's) decides,
 * as OpenVEX says: an `affected` or `under_investigation` statement after a `not_affected`
 * one takes the exception back.
 *
 * VEX as an in-toto attestation (`cosign attest --type openvex`): a DSSE envelope under the
 * image's `.att` tag or in an attestation referrer whose statement's predicateType is OpenVEX's
 * (`https://openvex.dev/ns`, optionally with a version path) and whose predicate is the OpenVEX
 * document. Trusted when a key of `vex.cosign.keys` verifies the envelope and the statement's
 * subject is this image (./attestations.ts). Its statements apply as above; a statement that
 * names no products is about the attestation's subject, this image (the subject is what the
 * signer vouched for).
 */
import { checkSignature, payloadProblem, trustedKeys, type CosignSignature, type TrustedKey } from './cosign.ts';
import { checkLegacyKeyless, type KeylessRule } from './sigstore.ts';
import { attestationName, checkAttestation, type Attestation } from './attestations.ts';

export const OPENVEX_TYPE = 'application/vnd.openvex+json';
const HONOURED = new Set(['not_affected', 'fixed']);
const MAX_STATEMENTS = 5000;

/** One VEX referrer of the image as gathered (./evaluation-input.ts): its document and the signatures of its manifest. */
export interface VexReferrer {
  /** The referrer manifest's digest (what its signatures sign). */
  manifest: string;
  document?: unknown;
  /** The document could not be read (it then excepts nothing). */
  error?: string;
  signatures: CosignSignature[];
}

/** A statement that may except findings, with where it came from (the evaluation's evidence). */
export interface VexStatement {
  /** The document's @id, or the referrer's digest when it has none. */
  document: string;
  referrer: string;
  author: string;
  /** Index in the document's statements. */
  index: number;
  vulnerabilities: Set<string>;
  status: string;
  justification?: string;
  time: number;
  /** Package names (and optional versions) the statement is limited to; empty: the whole image. */
  subcomponents: { name: string; version?: string }[];
}

/** What the rule reports about VEX: statements honoured per finding, documents left out and why. */
export interface VexUse {
  statement: VexStatement;
  finding: string;
}

type Product = { '@id'?: unknown; identifiers?: Record<string, unknown>; hashes?: Record<string, unknown>; subcomponents?: unknown[] } | string;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The digest an OCI purl names (`pkg:oci/name@sha256%3Ahex?...`), if it is one. */
function digestOfPurl(purl: string): string | undefined {
  if (!purl.startsWith('pkg:oci/')) return undefined;
  const at = purl.indexOf('@');
  if (at < 0) return undefined;
  try {
    return decodeURIComponent(purl.slice(at + 1).split(/[?#]/)[0]!);
  } catch {
    return undefined;
  }
}

/**
 * Whether an OCI purl names the repository itself, without a digest: its `repository_url`
 * qualifier's path (after the registry host) is the repository. Only documents in a policy may
 * say this (a statement about every build of the repository; docs/release-policy.md).
 */
function purlNamesRepository(purl: string, repository: string): boolean {
  if (!purl.startsWith('pkg:oci/') || purl.includes('@')) return false;
  const query = purl.split('#')[0]!.split('?')[1];
  if (!query) return false;
  const url = new URLSearchParams(query).get('repository_url');
  const slash = url?.indexOf('/') ?? -1;
  return url !== null && url !== undefined && slash > 0 && url.slice(slash + 1) === repository;
}

function namesRepository(product: Product, repository: string): boolean {
  if (typeof product === 'string') return purlNamesRepository(product, repository);
  return [str(product['@id']), str(product.identifiers?.purl)].some((id) => id !== undefined && purlNamesRepository(id, repository));
}

function namesImage(product: Product, digest: string): boolean {
  const hex = digest.slice('sha256:'.length);
  if (typeof product === 'string') return product === digest || digestOfPurl(product) === digest;
  const ids = [str(product['@id']), str(product.identifiers?.purl)].filter((x): x is string => x !== undefined);
  if (ids.some((id) => id === digest || digestOfPurl(id) === digest)) return true;
  return str(product.hashes?.['sha-256']) === hex;
}

/** A subcomponent as a package name and version: a purl's path after its type, or the plain text. */
function packageOf(sub: unknown): { name: string; version?: string } | undefined {
  const id = typeof sub === 'string' ? sub : str((sub as { '@id'?: unknown })?.['@id']) ?? str((sub as { identifiers?: Record<string, unknown> })?.identifiers?.purl);
  if (!id) return undefined;
  if (!id.startsWith('pkg:')) return { name: id };
  const body = id.slice(4).split(/[?#]/)[0]!;
  const at = body.lastIndexOf('@');
  const path = at < 0 ? body : body.slice(0, at);
  const slash = path.indexOf('/');
  if (slash < 0) return undefined;
  try {
    const name = decodeURIComponent(path.slice(slash + 1));
    return at < 0 ? { name } : { name, version: decodeURIComponent(body.slice(at + 1)) };
  } catch {
    return undefined;
  }
}

function vulnerabilityIds(v: unknown): Set<string> {
  if (typeof v === 'string') return new Set([v]);
  const o = v as { name?: unknown; '@id'?: unknown; aliases?: unknown };
  const ids = [str(o?.name), str(o?.['@id']), ...(Array.isArray(o?.aliases) ? o.aliases.map(str) : [])].filter((x): x is string => x !== undefined);
  return new Set(ids);
}

const timeOf = (v: unknown): number | undefined => {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
};

/** Whether an attestation's predicateType is OpenVEX's (what `cosign attest --type openvex` and vexctl write). */
export const isOpenVexPredicate = (type: string | undefined) => type === 'https://openvex.dev/ns' || type?.startsWith('https://openvex.dev/ns/') === true;

/**
 * The statements of one document about this image (any status: the newest one decides).
 * `subjectIsImage`: the document is an attestation's predicate about this image, so a statement
 * without products is about it.
 */
export function statementsFor(doc: unknown, referrer: string, digest: string, subjectIsImage = false, repository?: string): VexStatement[] {
  const d = doc as { '@id'?: unknown; author?: unknown; timestamp?: unknown; last_updated?: unknown; statements?: unknown };
  if (!Array.isArray(d?.statements)) throw new Error('not an OpenVEX document (no statements)');
  const docTime = timeOf(d.last_updated) ?? timeOf(d.timestamp) ?? 0;
  const out: VexStatement[] = [];
  d.statements.slice(0, MAX_STATEMENTS).forEach((raw, index) => {
    const s = raw as { vulnerability?: unknown; products?: unknown; status?: unknown; justification?: unknown; timestamp?: unknown; last_updated?: unknown; subcomponents?: unknown };
    const status = str(s?.status);
    const products = Array.isArray(s?.products) ? (s.products as Product[]) : [];
    const ours = products.filter((p) => namesImage(p, digest) || (repository !== undefined && namesRepository(p, repository)));
    if (!status || (ours.length === 0 && !(subjectIsImage && products.length === 0))) return;
    const subs = [...ours.flatMap((p) => (typeof p === 'string' ? [] : (p.subcomponents ?? []))), ...(Array.isArray(s.subcomponents) ? s.subcomponents : [])];
    out.push({
      document: str(d['@id']) ?? referrer,
      referrer,
      author: str(d.author) ?? '(no author)',
      index,
      vulnerabilities: vulnerabilityIds(s.vulnerability),
      status,
      ...(str(s.justification) ? { justification: str(s.justification)! } : {}),
      time: timeOf(s.last_updated) ?? timeOf(s.timestamp) ?? docTime,
      subcomponents: subs.map(packageOf).filter((x): x is { name: string; version?: string } => x !== undefined),
    });
  });
  return out;
}

/** Whether one signature of a VEX referrer manifest is trusted: '' when it is, else why not. */
function vexSignatureProblem(sig: CosignSignature, manifest: string, keys: readonly TrustedKey[], keyless: readonly KeylessRule[]): string {
  if (sig.certificate) {
    if (keyless.length === 0) return 'a keyless signature, and the rule trusts no keyless identity';
    const problems: string[] = [];
    for (const rule of keyless) {
      const check = checkLegacyKeyless(sig, rule);
      const problem = check.valid ? payloadProblem(sig, manifest) : check.problem;
      if (!problem) return '';
      problems.push(problem);
    }
    return problems.join('; ');
  }
  if (keys.length === 0) return 'a key signature, and the rule trusts no usable key';
  const check = checkSignature(sig, manifest, keys);
  return check.valid ? '' : check.problem;
}

/**
 * The statements of the VEX referrers signed by a key of `pems` or by an identity one of
 * `keyless` accepts; the others are listed in `ignored` with the reason (no signature, nothing
 * trusted verifies it, unreadable).
 */
export function trustedStatements(referrers: readonly VexReferrer[], pems: readonly string[], digest: string, keyless: readonly KeylessRule[] = []): { statements: VexStatement[]; ignored: string[] } {
  const keys: TrustedKey[] = trustedKeys(pems);
  const statements: VexStatement[] = [];
  const ignored: string[] = [];
  for (const r of referrers) {
    const name = r.manifest.slice(0, 19);
    if (r.error !== undefined) {
      ignored.push(`${name}: cannot be read: ${r.error}`);
      continue;
    }
    const problems = r.signatures.map((sig) => vexSignatureProblem(sig, r.manifest, keys, keyless));
    if (!problems.some((p) => p === '')) {
      const why = r.signatures.length === 0 ? 'not signed' : `not signed by a trusted key or identity (${problems.join('; ')})`;
      ignored.push(`${name}: ${why}`);
      continue;
    }
    try {
      statements.push(...statementsFor(r.document, r.manifest, digest));
    } catch (err) {
      ignored.push(`${name}: ${(err as Error).message}`);
    }
  }
  return { statements, ignored };
}

/**
 * The statements of the OpenVEX attestations a key of `pems` verified (about this image); the
 * other OpenVEX attestations are listed in `ignored` with the reason.
 */
export function trustedAttestedStatements(attestations: readonly Attestation[], pems: readonly string[], digest: string): { statements: VexStatement[]; ignored: string[] } {
  const keys: TrustedKey[] = trustedKeys(pems);
  const statements: VexStatement[] = [];
  const ignored: string[] = [];
  for (const a of attestations) {
    if (!isOpenVexPredicate(a.predicateType)) continue;
    const check = checkAttestation(a, digest, keys);
    if (!check.valid) {
      ignored.push(`${attestationName(a)}: ${check.problem === 'not signed' ? 'not signed' : `not trusted (${check.problem})`}`);
      continue;
    }
    try {
      statements.push(...statementsFor(check.statement.predicate, a.source.manifest, digest, true));
    } catch (err) {
      ignored.push(`${attestationName(a)}: ${(err as Error).message}`);
    }
  }
  return { statements, ignored };
}

/**
 * The statements of the OpenVEX documents written into a policy rule (`vex.documents`), about
 * this image: products naming its digest, or (policy documents only) its repository. Trusted
 * without a signature: the policy itself is the trust (versioned, audited, applied by an
 * Owner). A document without `@id` is named `policy document N`.
 */
export function policyStatements(documents: readonly unknown[], digest: string, repository: string): VexStatement[] {
  return documents.flatMap((doc, i) => statementsFor(doc, 'policy', digest, false, repository).map((st) => (st.document === 'policy' ? { ...st, document: `policy document ${i}` } : st)));
}

/** What a rule's `vex` trusts: referrers and attestations signed by these keys, referrers signed by these keyless identities, and documents in the policy. */
export interface VexTrust {
  cosign?: { keys: string[] };
  keyless?: KeylessRule;
  documents?: unknown[];
}

/** Every trusted VEX statement about the image: from signed referrers, from attestations, from the policy's own documents. */
export function trustedVex(referrers: readonly VexReferrer[], attestations: readonly Attestation[], trust: readonly VexTrust[], image: { digest: string; repository: string }): { statements: VexStatement[]; ignored: string[] } {
  const pems = trust.flatMap((t) => t.cosign?.keys ?? []);
  const keyless = trust.flatMap((t) => (t.keyless ? [t.keyless] : []));
  const a = pems.length || keyless.length ? trustedStatements(referrers, pems, image.digest, keyless) : { statements: [], ignored: referrers.length ? [`${referrers.length} VEX referrer(s) not read: the rule trusts no signing key or identity`] : [] };
  const b = pems.length ? trustedAttestedStatements(attestations, pems, image.digest) : { statements: [], ignored: [] };
  const c = policyStatements(trust.flatMap((t) => t.documents ?? []), image.digest, image.repository);
  return { statements: [...a.statements, ...b.statements, ...c], ignored: [...a.ignored, ...b.ignored] };
}

/** The CEL input's `vex`: the trusted statements about this image (docs/release-policy.md). */
export function celVex(statements: readonly VexStatement[]) {
  return statements.map((s) => ({
    vulnerabilities: [...s.vulnerabilities],
    status: s.status,
    justification: s.justification ?? '',
    author: s.author,
    document: s.document,
    statement: s.index,
    referrer: s.referrer,
    subcomponents: s.subcomponents.map((c) => c.name),
    timestamp: s.time ? new Date(s.time).toISOString() : '',
  }));
}

function coversPackage(s: VexStatement, pkg: string, version: string): boolean {
  if (s.subcomponents.length === 0) return true;
  return s.subcomponents.some((c) => (c.name === pkg || c.name.endsWith(`/${pkg}`) || pkg.endsWith(`/${c.name}`)) && (c.version === undefined || c.version === version));
}

/** The statement that excepts a finding, if the newest statement about it is not_affected or fixed. */
export function vexException(statements: readonly VexStatement[], finding: { id: string; package: string; version: string }): VexStatement | undefined {
  let newest: VexStatement | undefined;
  for (const s of statements) {
    if (!s.vulnerabilities.has(finding.id) || !coversPackage(s, finding.package, finding.version)) continue;
    if (!newest || s.time >= newest.time) newest = s;
  }
  return newest && HONOURED.has(newest.status) ? newest : undefined;
}

/** How evidence and reasons name a statement. */
export function describeStatement(s: VexStatement): string {
  return `${s.status}${s.justification ? ` (${s.justification})` : ''} by ${s.author}, ${s.document} statement ${s.index}`;
}
