/**
 * Gathers what a policy is evaluated on, for one image: its manifest and config labels, the
 * newest finished scan's report, the newest attached SBOM, the cosign signatures (both
 * schemes, with their keyless annotations), the Sigstore bundle and Notation signature referrers and the active
 * exceptions. Reads the stores and blob store directly: this is the
 * registry deciding about content (no principal's read; nothing read here is shown to anyone
 * except through "why held", which has its own visibility rule). Every read is bounded; a
 * document that cannot be read becomes an `error` the rule reports (fail closed).
 *
 * `known` lets the scan's own finish pass the report and SBOMs it just received, so the verdict
 * of a scan is decided on exactly that scan.
 */
import type { Readable } from 'node:stream';
import type { ManifestHead, ManifestRecord, ManifestStore, TagStore } from '../metadata/metadata-store.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ScanJobStore } from '../scan/job-store.ts';
import type { Digest } from '../oci/index.ts';
import { parseVulnerabilityReport, normalizeSeverity } from '../scan/verdict-of-report.ts';
import { COSIGN_PAYLOAD_TYPE, COSIGN_REFERRER_TYPE, COSIGN_SIGNATURE_ANNOTATION, signatureTag, type CosignSignature } from './cosign.ts';
import type { EvaluationInput, Finding, SbomPackage } from './evaluate.ts';
import type { HarborVulnerabilityReport } from '../scan/harbor-api.ts';
import { OPENVEX_TYPE, type VexReferrer } from './vex.ts';
import type { ExceptionRecord, ExceptionStore } from './policy-store.ts';
import { NOTATION_SIGNATURE_TYPE, type NotationEnvelope } from './notation.ts';
import { COSIGN_CERTIFICATE_ANNOTATION, COSIGN_REKOR_BUNDLE_ANNOTATION, COSIGN_TIMESTAMP_ANNOTATION, type SigstoreBundleArtifact } from './sigstore.ts';
import { ATTESTATION_REFERRER_TYPES, DSSE_ENVELOPE_TYPE, PREDICATE_TYPE_ANNOTATION, SIGSTORE_BUNDLE_TYPES, attestationTag, envelopeOf, statementOf, type Attestation } from './attestations.ts';

/** The reads gatherInput makes (a store or transaction, or a page's prefetched answers: pageReader). */
export interface Reader {
  manifests: Pick<ManifestStore, 'referrers'>;
  tags: Pick<TagStore, 'get'>;
  scanJobs: Pick<ScanJobStore, 'latest' | 'report'>;
  policyExceptions: Pick<ExceptionStore, 'active'>;
}
type PageStore = { manifests: Pick<ManifestStore, 'referrers' | 'referrersOfMany'>; tags: Pick<TagStore, 'get' | 'getMany'>; scanJobs: Pick<ScanJobStore, 'latest' | 'report' | 'latestWithReports'>; policyExceptions: Pick<ExceptionStore, 'active'> };

export const SBOM_TYPES = ['application/vnd.cyclonedx+json', 'application/spdx+json'];
const MAX_SIGNATURE_MANIFESTS = 20;
const MAX_LAYERS = 20;
const MAX_SMALL_DOCUMENT = 1024 * 1024;
const MAX_SBOM = 32 * 1024 * 1024;
const MAX_VEX_DOCUMENTS = 20;
const MAX_VEX = 4 * 1024 * 1024;
const MAX_ATTESTATION = 4 * 1024 * 1024;

async function readAtMost(stream: Readable | undefined, limit: number): Promise<Buffer> {
  if (!stream) throw new Error('missing from the blob store');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      stream.destroy();
      throw new Error(`larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const readJson = async (blobs: BlobStore, digest: string, limit = MAX_SMALL_DOCUMENT) => JSON.parse((await readAtMost(await blobs.open(digest as Digest), limit)).toString('utf8'));

export function findingsOf(report: HarborVulnerabilityReport): Finding[] {
  return (report.vulnerabilities ?? []).map((f) => ({ id: f.id, package: f.package, version: String(f.version ?? ''), severity: normalizeSeverity(f.severity), ...(f.fix_version ? { fixVersion: f.fix_version } : {}) }));
}

/** Packages of a CycloneDX or SPDX JSON document. */
export function sbomPackages(doc: unknown): SbomPackage[] {
  const d = doc as { components?: { name?: unknown; version?: unknown; purl?: unknown; type?: unknown }[]; packages?: { name?: unknown; versionInfo?: unknown; externalRefs?: { referenceType?: unknown; referenceLocator?: unknown }[] }[] };
  if (Array.isArray(d?.components)) {
    return d.components.filter((c) => typeof c?.name === 'string').map((c) => ({ name: c.name as string, version: typeof c.version === 'string' ? c.version : '', ...(typeof c.purl === 'string' ? { purl: c.purl } : {}), ...(typeof c.type === 'string' ? { type: c.type } : {}) }));
  }
  if (Array.isArray(d?.packages)) {
    return d.packages.filter((p) => typeof p?.name === 'string').map((p) => {
      const purl = p.externalRefs?.find((r) => r?.referenceType === 'purl')?.referenceLocator;
      return { name: p.name as string, version: typeof p.versionInfo === 'string' ? p.versionInfo : '', ...(typeof purl === 'string' ? { purl } : {}) };
    });
  }
  throw new Error('neither CycloneDX (components) nor SPDX (packages)');
}

/** An image's referrers, read once per evaluation and filtered by type here (one query, not one per kind). */
type Referrers = readonly ManifestRecord[];
const ofType = (referrers: Referrers, ...types: string[]) => referrers.filter((r) => r.artifactType !== undefined && types.includes(r.artifactType));

async function signaturesOf(tx: Reader, blobs: BlobStore, repository: string, digest: string, referrers?: Referrers): Promise<{ signatures: CosignSignature[]; errors: string[] }> {
  const sources: { manifest: string; scheme: 'tag' | 'referrer' }[] = [];
  const tagged = await tx.tags.get(repository, signatureTag(digest));
  if (tagged) sources.push({ manifest: tagged.digest, scheme: 'tag' });
  const signed = referrers ? ofType(referrers, COSIGN_REFERRER_TYPE) : await tx.manifests.referrers(repository, digest as Digest, COSIGN_REFERRER_TYPE);
  for (const r of signed) sources.push({ manifest: r.digest, scheme: 'referrer' });
  const signatures: CosignSignature[] = [];
  const errors: string[] = [];
  for (const source of sources.slice(0, MAX_SIGNATURE_MANIFESTS)) {
    try {
      const manifest = (await readJson(blobs, source.manifest)) as { layers?: { mediaType?: string; digest?: string; annotations?: Record<string, string> }[] };
      for (const layer of (manifest.layers ?? []).slice(0, MAX_LAYERS)) {
        const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
        if (layer.mediaType !== COSIGN_PAYLOAD_TYPE || typeof signature !== 'string' || typeof layer.digest !== 'string' || !layer.annotations) continue;
        const a = layer.annotations;
        const keyless = { ...(a[COSIGN_CERTIFICATE_ANNOTATION] ? { certificate: a[COSIGN_CERTIFICATE_ANNOTATION] } : {}), ...(a[COSIGN_REKOR_BUNDLE_ANNOTATION] ? { rekorBundle: a[COSIGN_REKOR_BUNDLE_ANNOTATION] } : {}), ...(a[COSIGN_TIMESTAMP_ANNOTATION] ? { rfc3161: a[COSIGN_TIMESTAMP_ANNOTATION] } : {}) };
        signatures.push({ payload: await readAtMost(await blobs.open(layer.digest as Digest), 64 * 1024), signature, source, ...keyless });
      }
    } catch (err) {
      errors.push(`signature artifact ${source.manifest.slice(0, 19)} cannot be read: ${(err as Error).message}`);
    }
  }
  return { signatures, errors };
}

/** The image's Sigstore bundle referrers (cosign's new bundle format, under either spelling of its type), newest first, each bundle as read. */
async function bundlesOf(blobs: BlobStore, all: Referrers): Promise<SigstoreBundleArtifact[]> {
  const referrers = ofType(all, ...SIGSTORE_BUNDLE_TYPES).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const out: SigstoreBundleArtifact[] = [];
  for (const r of referrers.slice(0, MAX_SIGNATURE_MANIFESTS)) {
    const source = { manifest: r.digest, scheme: 'bundle' as const };
    try {
      const manifest = (await readJson(blobs, r.digest)) as { layers?: { digest?: string }[] };
      const layer = manifest.layers?.[0]?.digest;
      if (!layer) throw new Error('the bundle artifact has no layer');
      out.push({ bundle: await readJson(blobs, layer), source });
    } catch (err) {
      out.push({ error: (err as Error).message, source });
    }
  }
  return out;
}

/** The image's Notation signature referrers, newest first, each envelope (the first layer) as read. */
async function notationOf(blobs: BlobStore, all: Referrers): Promise<NotationEnvelope[]> {
  const referrers = ofType(all, NOTATION_SIGNATURE_TYPE).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const out: NotationEnvelope[] = [];
  for (const r of referrers.slice(0, MAX_SIGNATURE_MANIFESTS)) {
    const source = { manifest: r.digest, scheme: 'referrer' as const };
    try {
      const manifest = (await readJson(blobs, r.digest)) as { layers?: { digest?: string; mediaType?: string }[] };
      const layer = manifest.layers?.[0];
      if (!layer?.digest) throw new Error('the signature artifact has no layer');
      out.push({ ...(layer.mediaType ? { mediaType: layer.mediaType } : {}), envelope: await readAtMost(await blobs.open(layer.digest as Digest), MAX_SMALL_DOCUMENT), source });
    } catch (err) {
      out.push({ error: (err as Error).message, source });
    }
  }
  return out;
}

async function sbomOf(blobs: BlobStore, referrers: Referrers): Promise<EvaluationInput['sbom']> {
  const candidates = ofType(referrers, ...SBOM_TYPES);
  const newest = candidates.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  if (!newest) return undefined;
  const artifactType = newest.artifactType!;
  try {
    const manifest = (await readJson(blobs, newest.digest)) as { layers?: { digest?: string }[] };
    const layer = manifest.layers?.[0]?.digest;
    if (!layer) throw new Error('the SBOM artifact has no layer');
    return { artifactType, packages: sbomPackages(await readJson(blobs, layer, MAX_SBOM)) };
  } catch (err) {
    return { artifactType, error: (err as Error).message };
  }
}

/**
 * The image's OpenVEX referrers, newest first, each with its document (the first layer) and
 * the cosign signatures of its manifest. Whether any is trusted is the rule's question
 * (./vex.ts); one that cannot be read excepts nothing.
 */
async function vexOf(tx: Reader, blobs: BlobStore, repository: string, all: Referrers): Promise<VexReferrer[]> {
  const referrers = ofType(all, OPENVEX_TYPE).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const out: VexReferrer[] = [];
  for (const r of referrers.slice(0, MAX_VEX_DOCUMENTS)) {
    const { signatures } = await signaturesOf(tx, blobs, repository, r.digest);
    try {
      const manifest = (await readJson(blobs, r.digest)) as { layers?: { digest?: string }[] };
      const layer = manifest.layers?.[0]?.digest;
      if (!layer) throw new Error('the VEX artifact has no layer');
      out.push({ manifest: r.digest, document: await readJson(blobs, layer, MAX_VEX), signatures });
    } catch (err) {
      out.push({ manifest: r.digest, error: (err as Error).message, signatures });
    }
  }
  return out;
}

/**
 * The image's in-toto attestations: every DSSE envelope layer of its `.att` tag and of its
 * attestation referrers (newest first), unverified; which count is the rules' question
 * (./attestations.ts). An envelope that cannot be read is kept with its error (it counts for
 * nothing, and the rule says why).
 */
async function attestationsOf(tx: Reader, blobs: BlobStore, repository: string, digest: string, all: Referrers): Promise<{ attestations: Attestation[]; errors: string[] }> {
  const sources: { manifest: string; scheme: 'tag' | 'referrer' }[] = [];
  const tagged = await tx.tags.get(repository, attestationTag(digest));
  if (tagged) sources.push({ manifest: tagged.digest, scheme: 'tag' });
  for (const r of ofType(all, ...ATTESTATION_REFERRER_TYPES).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())) sources.push({ manifest: r.digest, scheme: 'referrer' });
  const attestations: Attestation[] = [];
  const errors: string[] = [];
  for (const source of sources.slice(0, MAX_SIGNATURE_MANIFESTS)) {
    let layers: { mediaType?: string; digest?: string; annotations?: Record<string, string> }[];
    try {
      layers = ((await readJson(blobs, source.manifest)) as { layers?: typeof layers }).layers ?? [];
    } catch (err) {
      errors.push(`attestation artifact ${source.manifest.slice(0, 19)} cannot be read: ${(err as Error).message}`);
      continue;
    }
    for (const layer of layers.slice(0, MAX_LAYERS)) {
      if (typeof layer.digest !== 'string' || (layer.mediaType !== DSSE_ENVELOPE_TYPE && !SIGSTORE_BUNDLE_TYPES.has(layer.mediaType ?? ''))) continue;
      const at = { ...source, layer: layer.digest };
      try {
        const envelope = envelopeOf(await readJson(blobs, layer.digest, MAX_ATTESTATION), layer.mediaType!);
        let predicateType: string | undefined;
        try {
          predicateType = statementOf(envelope).predicateType;
        } catch {
          predicateType = layer.annotations?.[PREDICATE_TYPE_ANNOTATION];
        }
        attestations.push({ source: at, envelope, ...(predicateType ? { predicateType } : {}) });
      } catch (err) {
        attestations.push({ source: at, error: (err as Error).message, ...(layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ? { predicateType: layer.annotations[PREDICATE_TYPE_ANNOTATION] } : {}) });
      }
    }
  }
  return { attestations, errors };
}

async function configOf(blobs: BlobStore, manifest: ManifestHead): Promise<EvaluationInput['config']> {
  if (!manifest.configDigest || !manifest.configMediaType?.includes('config')) return undefined;
  try {
    const c = (await readJson(blobs, manifest.configDigest)) as { architecture?: string; os?: string; config?: { Labels?: Record<string, string> } };
    const labels = Object.fromEntries(Object.entries(c.config?.Labels ?? {}).filter(([, v]) => typeof v === 'string'));
    return { labels, ...(typeof c.architecture === 'string' ? { architecture: c.architecture } : {}), ...(typeof c.os === 'string' ? { os: c.os } : {}) };
  } catch {
    return undefined;
  }
}

export interface KnownScan {
  report: HarborVulnerabilityReport;
  createdAt: Date;
  scanner: string;
  sboms: { artifactType: string; bytes: Buffer }[];
}

/**
 * `exceptions`: the active exceptions at `now`, when the caller evaluates many images at one
 * `now` (a re-evaluation page reads them once).
 */
export async function gatherInput(tx: Reader, blobs: BlobStore, manifest: ManifestHead, options: { now?: Date; known?: KnownScan; exceptions?: ExceptionRecord[] } = {}): Promise<EvaluationInput> {
  const { repository, digest } = manifest;
  const now = options.now ?? new Date();
  let report: EvaluationInput['report'];
  if (options.known) report = { findings: findingsOf(options.known.report), createdAt: options.known.createdAt, scanner: options.known.scanner };
  else {
    const job = await tx.scanJobs.latest(repository, digest, ['succeeded']);
    if (job) {
      const text = await tx.scanJobs.report(job.id);
      try {
        if (text === undefined) throw new Error('the report is gone');
        report = { findings: findingsOf(parseVulnerabilityReport(text)), createdAt: job.finishedAt ?? job.createdAt, ...(job.scanner ? { scanner: job.scanner } : {}) };
      } catch (err) {
        report = { error: (err as Error).message };
      }
    }
  }
  const referrers = await tx.manifests.referrers(repository, digest as Digest);
  let sbom: EvaluationInput['sbom'];
  const knownSbom = options.known?.sboms.find((s) => SBOM_TYPES.includes(s.artifactType));
  if (knownSbom) {
    try {
      sbom = { artifactType: knownSbom.artifactType, packages: sbomPackages(JSON.parse(knownSbom.bytes.toString('utf8'))) };
    } catch (err) {
      sbom = { artifactType: knownSbom.artifactType, error: (err as Error).message };
    }
  } else sbom = await sbomOf(blobs, referrers);
  const { signatures, errors } = await signaturesOf(tx, blobs, repository, digest, referrers);
  const config = await configOf(blobs, manifest);
  const vex = await vexOf(tx, blobs, repository, referrers);
  const bundles = await bundlesOf(blobs, referrers);
  const notation = await notationOf(blobs, referrers);
  // A message-signature bundle signs the manifest's bytes: read them only when there is one.
  const manifestBytes = bundles.length ? await readAtMost(await blobs.open(digest as Digest), 4 * 1024 * 1024).catch(() => undefined) : undefined;
  const attested = await attestationsOf(tx, blobs, repository, digest, referrers);
  return {
    repository,
    digest,
    mediaType: manifest.mediaType,
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    annotations: manifest.annotations ?? {},
    ...(config ? { config } : {}),
    ...(report ? { report } : {}),
    ...(sbom ? { sbom } : {}),
    signatures,
    signatureErrors: errors,
    ...(bundles.length ? { bundles } : {}),
    ...(manifestBytes ? { manifestBytes } : {}),
    ...(notation.length ? { notation } : {}),
    exceptions: options.exceptions ?? (await tx.policyExceptions.active(now)),
    ...(vex.length ? { vex } : {}),
    ...(attested.attestations.length ? { attestations: attested.attestations } : {}),
    ...(attested.errors.length ? { attestationErrors: attested.errors } : {}),
    now,
  };
}

/**
 * A Reader for the images `digests` of one repository (a re-evaluation page) that answers
 * gatherInput's per-image reads from three statements made here for the whole page (newest
 * succeeded scan with its report, referrers, cosign `.sig`/`.att` tags) instead of five per
 * image; anything else (a VEX document's own signatures) goes to `store`. The answers are
 * those of the moment the page was read, as gatherInput's own reads outside a transaction are.
 */
export async function pageReader(store: PageStore, repository: string, digests: readonly string[]): Promise<Reader> {
  const inPage = new Set(digests);
  const tagNames = new Set(digests.flatMap((d) => [signatureTag(d), attestationTag(d)]));
  const [scans, referrers, tags] = await Promise.all([
    store.scanJobs.latestWithReports(repository, digests, ['succeeded']),
    store.manifests.referrersOfMany(repository, digests as Digest[]),
    store.tags.getMany(repository, [...tagNames]),
  ]);
  const reports = new Map([...scans.values()].map((s) => [s.job.id, s.report]));
  const succeededOnly = (states?: string[]) => states?.length === 1 && states[0] === 'succeeded';
  return {
    manifests: {
      referrers: async (r, subject, artifactType) => {
        if (r !== repository || !inPage.has(subject)) return store.manifests.referrers(r, subject, artifactType);
        const all = referrers.get(subject) ?? [];
        return artifactType === undefined ? all : all.filter((m) => m.artifactType === artifactType);
      },
    },
    tags: { get: async (r, name) => (r === repository && tagNames.has(name) ? tags.get(name) : store.tags.get(r, name)) },
    scanJobs: {
      latest: async (r, digest, states) => (r === repository && inPage.has(digest) && succeededOnly(states) ? scans.get(digest)?.job : store.scanJobs.latest(r, digest, states)),
      report: async (id) => (reports.has(id) ? reports.get(id) : store.scanJobs.report(id)),
    },
    policyExceptions: store.policyExceptions,
  };
}
