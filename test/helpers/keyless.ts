/**
 * Keyless cosign signatures made here, as cosign makes them, with a test Sigstore
 * (./pki.ts): a Sigstore bundle (v0.3) pushed as an OCI 1.1 referrer of the image, with a
 * message signature over the manifest bytes or a DSSE envelope of cosign's sign statement; or
 * cosign's legacy `.sig` layer carrying the leaf certificate and an RFC 3161 timestamp.
 */
import { createHash, sign } from 'node:crypto';
import { putManifest, pushReferrer, sha256, uploadBlob, type PushedImage } from './quarantine-fixtures.ts';
import type { Issued, TestSigstore } from './pki.ts';
import { simpleSigning } from './release-policy.ts';

const b64 = (b: Buffer) => b.toString('base64');

export interface KeylessOptions {
  /** What the signature claims to sign (default: the image's digest / manifest). */
  claims?: string;
  /** Store a payload other than the signed one. */
  tamper?: boolean;
  /** Leave the timestamp out. */
  noTimestamp?: boolean;
  /** Legacy: add a Rekor-like log entry (dev.sigstore.cosign/bundle). */
  rekor?: boolean;
  headers?: Record<string, string>;
}

/** DSSE's pre-authentication encoding. */
const pae = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

/** A v0.3 bundle for `img`, signed with `leaf`'s key, timestamped by the test TSA. */
export function keylessBundle(world: TestSigstore, leaf: Issued, img: PushedImage, content: 'message' | 'dsse', options: KeylessOptions = {}): Record<string, unknown> {
  let signature: Buffer;
  let body: Record<string, unknown>;
  if (content === 'message') {
    const manifest = Buffer.from(img.manifest);
    signature = sign('sha256', options.tamper ? Buffer.concat([manifest, Buffer.from(' ')]) : manifest, leaf.key);
    const digest = options.claims ? Buffer.from(options.claims.replace('sha256:', ''), 'hex') : createHash('sha256').update(manifest).digest();
    body = { messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: b64(signature) } };
  } else {
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: `registry.test/${img.repository}`, digest: { sha256: (options.claims ?? img.digest).replace('sha256:', '') } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
    signature = sign('sha256', pae('application/vnd.in-toto+json', statement), leaf.key);
    const stored = options.tamper ? Buffer.from(statement.toString().replace('"predicate":{}', '"predicate":{"x":1}')) : statement;
    body = { dsseEnvelope: { payload: b64(stored), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: b64(signature), keyid: '' }] } };
  }
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: b64(leaf.der) }, tlogEntries: [], ...(options.noTimestamp ? {} : { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: b64(world.timestamp(signature)) }] } }) },
    ...body,
  };
}

/**
 * Pushes a bundle as cosign's new bundle format does: a referrer of the image, the bundle its one
 * layer. `artifactType`: the older spelling of the bundle type (`...bundle+json;version=0.3`) some tools still write.
 */
export function pushBundle(url: string, img: PushedImage, bundle: unknown, headers: Record<string, string> = {}, artifactType = 'application/vnd.dev.sigstore.bundle.v0.3+json'): Promise<string> {
  return pushReferrer(url, img, { artifactType, content: JSON.stringify(bundle), annotations: { 'dev.sigstore.bundle.content': 'message-signature' } }, headers);
}

/** cosign's legacy keyless signature: the `sha256-<hex>.sig` tag, the leaf and timestamp in the layer's annotations. */
export async function pushLegacyKeyless(url: string, world: TestSigstore, leaf: Issued, img: PushedImage, options: KeylessOptions = {}): Promise<string> {
  const h = options.headers ?? {};
  const payload = simpleSigning(`registry.test/${img.repository}`, options.claims ?? img.digest);
  const signature = sign('sha256', payload, leaf.key);
  const stored = options.tamper ? Buffer.from(payload.toString().replace('"optional":null', '"optional":{"x":1}')) : payload;
  const layer = await uploadBlob(url, img.repository, stored, h);
  const config = await uploadBlob(url, img.repository, '{}', h);
  const annotations: Record<string, string> = {
    'dev.cosignproject.cosign/signature': b64(signature),
    'dev.sigstore.cosign/certificate': leaf.pem,
    'dev.sigstore.cosign/chain': '',
    ...(options.rekor ? { 'dev.sigstore.cosign/bundle': world.rekorBundle(signature, payload, leaf.pem) } : {}),
    ...(options.noTimestamp ? {} : { 'dev.sigstore.cosign/rfc3161timestamp': JSON.stringify({ SignedRFC3161Timestamp: b64(world.timestamp(signature)) }) }),
  };
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: layer, size: stored.length, annotations }],
  });
  await putManifest(url, img.repository, `${img.digest.replace(':', '-')}.sig`, body, 'application/vnd.oci.image.manifest.v1+json', h);
  return sha256(body);
}
