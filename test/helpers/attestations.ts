/**
 * In-toto attestations as `cosign attest --key` makes them, built here with keys the tests
 * generate (node:crypto): a statement about a subject digest, in a DSSE envelope signed over
 * the pre-authentication encoding, pushed under cosign's `sha256-<hex>.att` tag or as an OCI 1.1
 * referrer. Options make the bad ones (unsigned, tampered, about another image).
 */
import { sign } from 'node:crypto';
import { putManifest, sha256, uploadBlob } from './quarantine-fixtures.ts';
import type { SigningKey } from './release-policy.ts';

export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';

/** An SLSA v1 predicate as GitHub's generator writes it. */
export function slsaV1(builderId: string, repository: string) {
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: { workflow: { ref: 'refs/heads/main', repository, path: '.github/workflows/release.yml' } },
      resolvedDependencies: [{ uri: `git+${repository}@refs/heads/main`, digest: { gitCommit: 'a'.repeat(40) } }],
    },
    runDetails: { builder: { id: builderId }, metadata: { invocationId: 'https://ci.example/run/1' } },
  };
}

/** An SLSA v0.2 predicate (`cosign attest --type slsaprovenance`). */
export function slsaV02(builderId: string, repository: string) {
  return {
    builder: { id: builderId },
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
    invocation: { configSource: { uri: `git+${repository}@refs/heads/main`, digest: { sha1: 'b'.repeat(40) }, entryPoint: '.github/workflows/release.yml' } },
    materials: [{ uri: `git+${repository}@refs/heads/main` }],
  };
}

/** DSSE's pre-authentication encoding. */
export const pae = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

export interface AttestOptions {
  scheme?: 'tag' | 'referrer';
  predicateType?: string;
  /** The digest the statement names (default: the image's). */
  about?: string;
  /** No signature in the envelope. */
  unsigned?: boolean;
  /** The signed statement, then a changed one stored in the envelope. */
  tamper?: boolean;
  headers?: Record<string, string>;
  subjectSize?: number;
}

/** The DSSE envelope of a statement about `digest`. */
export function envelope(digest: string, predicate: unknown, key: SigningKey, options: AttestOptions = {}) {
  const predicateType = options.predicateType ?? SLSA_V1;
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'registry.test/app', digest: { sha256: (options.about ?? digest).slice('sha256:'.length) } }], predicateType, predicate };
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign('sha256', pae('application/vnd.in-toto+json', payload), key.privateKey).toString('base64');
  const stored = options.tamper ? Buffer.from(JSON.stringify({ ...statement, predicate: { ...(predicate as object), tampered: true } })) : payload;
  return { predicateType, json: JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: stored.toString('base64'), signatures: options.unsigned ? [] : [{ keyid: '', sig }] }) };
}

/** Pushes an attestation of `digest` as cosign does; returns the attestation manifest's digest. */
export async function pushAttestation(url: string, repository: string, digest: string, predicate: unknown, key: SigningKey, options: AttestOptions = {}): Promise<string> {
  const h = options.headers ?? {};
  const env = envelope(digest, predicate, key, options);
  const layer = await uploadBlob(url, repository, env.json, h);
  const config = await uploadBlob(url, repository, '{}', h);
  const referrer = options.scheme === 'referrer';
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...(referrer ? { artifactType: 'application/vnd.dev.cosign.artifact.att.v1+json' } : {}),
    config: { mediaType: referrer ? 'application/vnd.oci.empty.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
    layers: [{ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: layer, size: Buffer.byteLength(env.json), annotations: { predicateType: env.predicateType, 'dev.cosignproject.cosign/signature': '' } }],
    ...(referrer ? { subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: options.subjectSize ?? 0 } } : {}),
  });
  await putManifest(url, repository, referrer ? sha256(body) : `${digest.replace(':', '-')}.att`, body, 'application/vnd.oci.image.manifest.v1+json', h);
  return sha256(body);
}
