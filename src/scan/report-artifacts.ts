/**
 * Scan reports as OCI referrers of the scanned manifest: the vulnerability report
 * (artifactType application/vnd.lazaret.vulnerability-report.v1+json, the Harbor 1.1 report as
 * received) and the SBOMs (artifactType = the document's own media type, CycloneDX or SPDX
 * JSON). Each is an OCI image manifest with an empty config, one layer holding the document,
 * and `subject` = the scanned manifest; annotations name the job, the scanner, the creation
 * time and (for a rescan) the digest of the report it supersedes.
 *
 * Decision (docs/scanning.md "Reports as referrers"): these artifacts are not scanned and get
 * no verdict of their own; their verdict FOLLOWS their subject's. They are recorded with the
 * subject's verdict in the transaction that sets it, and every later change of the subject's
 * verdict (a PATCH, a rescan) is copied to them in that change's transaction (the lifecycle's
 * verdictChanged). So quarantine readers see them at once, everyone else exactly when the
 * subject is released, and a Failed subject's reports stay Failed, never pullable by
 * pull-only principals. The orchestrator's artifacts raise no webhook events (they would ask
 * external scanners to scan a report); the `scan` event announces them. Only artifacts the
 * orchestrator recorded follow (table scan_artifacts): a user's manifest with the same
 * artifactType is an ordinary push.
 */
import { Readable } from 'node:stream';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ManifestInput, ManifestRecord } from '../metadata/metadata-store.ts';
import type { ScanTx as StoreRoles } from './store/index.ts';
import type { QuarantineState } from '../quarantine/verdicts.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import { MEDIA_TYPES } from '../oci/media-types.ts';

export const VULNERABILITY_REPORT_TYPE = 'application/vnd.lazaret.vulnerability-report.v1+json';
export const ANNOTATION = {
  created: 'org.opencontainers.image.created',
  job: 'io.lazaret.scan.job',
  scanner: 'io.lazaret.scan.scanner',
  supersedes: 'io.lazaret.scan.supersedes',
} as const;
const EMPTY_CONFIG = Buffer.from('{}');
const FOLLOW_DETAILS = (subject: string) => JSON.stringify({ state: `a scan report: follows its subject ${subject}` });

export interface ReportDocument {
  artifactType: string;
  bytes: Buffer;
}

export interface PreparedArtifact {
  artifactType: string;
  input: ManifestInput;
  layer: { digest: Digest; size: number };
}

async function putBlob(blobs: BlobStore, bytes: Buffer): Promise<Digest> {
  const digest = digestOf(bytes);
  await blobs.put(digest, Readable.from([bytes]), bytes.length);
  return digest;
}

/** Writes the artifacts' blobs and manifests to the blob store (idempotent); nothing is visible until recordArtifacts. */
export async function prepareArtifacts(
  blobs: BlobStore,
  subject: ManifestRecord,
  docs: ReportDocument[],
  facts: { jobId: string; scanner: string; created: Date; supersedes: Map<string, string> },
): Promise<PreparedArtifact[]> {
  const configDigest = await putBlob(blobs, EMPTY_CONFIG);
  const out: PreparedArtifact[] = [];
  for (const doc of docs) {
    const layerDigest = await putBlob(blobs, doc.bytes);
    const annotations: Record<string, string> = { [ANNOTATION.created]: facts.created.toISOString(), [ANNOTATION.job]: facts.jobId, [ANNOTATION.scanner]: facts.scanner };
    const previous = facts.supersedes.get(doc.artifactType);
    if (previous) annotations[ANNOTATION.supersedes] = previous;
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: doc.artifactType,
      config: { mediaType: MEDIA_TYPES.ociEmpty, digest: configDigest, size: EMPTY_CONFIG.length },
      layers: [{ mediaType: doc.artifactType, digest: layerDigest, size: doc.bytes.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = await putBlob(blobs, bytes);
    out.push({
      artifactType: doc.artifactType,
      layer: { digest: layerDigest, size: doc.bytes.length },
      input: {
        digest,
        mediaType: MEDIA_TYPES.ociManifest,
        size: bytes.length,
        artifactType: doc.artifactType,
        subject: subject.digest,
        configDigest,
        configMediaType: MEDIA_TYPES.ociEmpty,
        imageSize: bytes.length + EMPTY_CONFIG.length + doc.bytes.length,
        blobs: [configDigest, layerDigest],
        children: [],
        annotations,
      },
    });
  }
  return out;
}

/** Records prepared artifacts in the repository, inside the transaction that sets the subject's verdict (`state`, undefined with the policy off). */
export async function recordArtifacts(tx: StoreRoles, subject: ManifestRecord, prepared: PreparedArtifact[], state: QuarantineState | undefined, jobId: string): Promise<void> {
  const repository = subject.repository;
  for (const a of prepared) {
    await tx.blobs.link(repository, a.input.configDigest!, EMPTY_CONFIG.length);
    await tx.blobs.link(repository, a.layer.digest, a.layer.size);
    await tx.manifests.put(repository, a.input);
    if (state) await tx.verdicts.set({ repository, digest: a.input.digest, state, details: FOLLOW_DETAILS(subject.digest), updatedBy: 'system' });
    await tx.scanJobs.addArtifact({ repository, digest: a.input.digest, subject: subject.digest, artifactType: a.artifactType, jobId });
  }
}

/** The newest orchestrator artifact of each type of a subject (what a rescan's report supersedes). */
export async function latestArtifacts(tx: StoreRoles, repository: string, subject: string): Promise<Map<string, string>> {
  const latest = new Map<string, string>();
  for (const a of await tx.scanJobs.artifactsOf(repository, subject)) latest.set(a.artifactType, a.digest);
  return latest;
}

/** Copies a subject's new verdict to its orchestrator artifacts (audited as `system`). */
export async function followSubject(tx: StoreRoles, repository: string, subject: string, state: QuarantineState, requestId: string): Promise<void> {
  for (const a of await tx.scanJobs.artifactsOf(repository, subject)) {
    const current = await tx.verdicts.get(repository, a.digest as Digest);
    if (current?.state === state) continue;
    const { record, previous } = await tx.verdicts.set({ repository, digest: a.digest as Digest, state, details: FOLLOW_DETAILS(subject), updatedBy: 'system' });
    await tx.audit.append({
      actor: 'system',
      action: 'verdict.change',
      target: `${repository}@${a.digest}`,
      before: previous ? { quarantineState: previous.state } : null,
      after: { quarantineState: record.state },
      details: `scan report ${a.artifactType} follows its subject ${subject}`,
      requestId,
    });
  }
}
