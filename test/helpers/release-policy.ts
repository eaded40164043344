/**
 * Release policy test material: the example document as written, and a runner for the
 * real `lazaret` binary (the compiled build, as production runs it).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The example document of the release policy issue, exactly as written there. */
export const EXAMPLE = `name: team-a
repositories: ["team-a/*"]
enabled: true
onViolation: notify            # or: requarantine (with gracePeriod: 72h)
rules:
  - name: no-critical
    vulnerabilities: { maxSeverity: High }          # a Critical finding fails the image
  - name: signed-by-ci
    signatures: { min: 1, cosign: { keys: ["-----BEGIN PUBLIC KEY-----\\n..."] } }
  - name: no-old-log4j
    cel: '!sbom.packages.exists(p, p.name == "log4j-core" && p.version < "2.17.1")'
`;

const BIN = fileURLToPath(new URL('../../bin/lazaret.js', import.meta.url));

export function lazaret(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { putManifest, sha256, uploadBlob } from './quarantine-fixtures.ts';

export interface SigningKey {
  privateKey: KeyObject;
  /** PEM SubjectPublicKeyInfo, what a policy lists. */
  publicPem: string;
}

/** An ECDSA P-256 key pair, as `cosign generate-key-pair` makes. */
export function cosignKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function simpleSigning(reference: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

/**
 * Pushes a cosign signature of `digest` as cosign does (tag `sha256-<hex>.sig`, or an OCI 1.1
 * referrer with `subject`). `signed` is what the key signs, `stored` what goes into the layer
 * (differ to tamper), `claims` the digest the payload names.
 */
export async function pushCosignSignature(url: string, repository: string, digest: string, key: SigningKey, options: { scheme?: 'tag' | 'referrer'; claims?: string; tamper?: boolean; headers?: Record<string, string>; subjectSize?: number } = {}): Promise<string> {
  const h = options.headers ?? {};
  const payload = simpleSigning(`registry.test/${repository}`, options.claims ?? digest);
  const signature = sign('sha256', payload, key.privateKey).toString('base64');
  const stored = options.tamper ? Buffer.from(payload.toString().replace('"optional":null', '"optional":{"x":1}')) : payload;
  const layer = await uploadBlob(url, repository, stored, h);
  const config = await uploadBlob(url, repository, '{}', h);
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...(options.scheme === 'referrer' ? { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' } : {}),
    config: { mediaType: options.scheme === 'referrer' ? 'application/vnd.oci.empty.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: layer, size: stored.length, annotations: { 'dev.cosignproject.cosign/signature': signature } }],
    ...(options.scheme === 'referrer' ? { subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: options.subjectSize ?? 0 } } : {}),
  };
  const body = JSON.stringify(manifest);
  const ref = options.scheme === 'referrer' ? sha256(body) : `${digest.replace(':', '-')}.sig`;
  await putManifest(url, repository, ref, body, 'application/vnd.oci.image.manifest.v1+json', h);
  return sha256(body);
}
