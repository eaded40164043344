/**
 * Notation signatures made here as `notation sign` makes them: a JWS (flattened JSON) or
 * COSE_Sign1 envelope over the Notary payload (the signed manifest's descriptor), the x5c /
 * x5chain certificate chain from the test PKI (./pki.ts), pushed as an OCI 1.1 referrer with
 * artifactType application/vnd.cncf.notary.signature.
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import { encode, Tag } from 'cbor2';
import { pushReferrer, type PushedImage } from './quarantine-fixtures.ts';
import type { Issued } from './pki.ts';

export interface NotationOptions {
  /** The digest the payload names (default: the image's). */
  claims?: string;
  /** Store a payload other than the signed one. */
  tamper?: boolean;
  /** io.cncf.notary.expiry. */
  expiry?: Date;
  /** An RFC 3161 TimeStampToken over the signature bytes (./pki.ts timeStampToken), stored as io.cncf.notary.timestampSignature. */
  timestamp?: (signature: Buffer) => Buffer;
  headers?: Record<string, string>;
}

function algOf(key: KeyObject): { jws: string; cose: number; hash: string; pss: boolean } {
  if (key.asymmetricKeyType === 'rsa') return { jws: 'PS256', cose: -37, hash: 'sha256', pss: true };
  return { jws: 'ES256', cose: -7, hash: 'sha256', pss: false };
}

const signWith = (key: KeyObject, data: Buffer, pss: boolean) => (pss ? sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }) : sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));

/** The envelope bytes (`chain`: leaf first, then intermediates/root as notation puts them). */
export function notationEnvelope(format: 'jws' | 'cose', chain: Issued[], img: PushedImage, options: NotationOptions = {}): Buffer {
  const leaf = chain[0]!;
  const alg = algOf(leaf.key);
  const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: options.claims ?? img.digest, size: img.size } }));
  const stored = options.tamper ? Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: options.claims ?? img.digest, size: img.size + 1 } })) : payload;
  const crit = ['io.cncf.notary.signingScheme', ...(options.expiry ? ['io.cncf.notary.expiry'] : [])];
  if (format === 'jws') {
    const protectedHeader = {
      alg: alg.jws,
      crit,
      cty: 'application/vnd.cncf.notary.payload.v1+json',
      'io.cncf.notary.signingScheme': 'notary.x509',
      'io.cncf.notary.signingTime': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(options.expiry ? { 'io.cncf.notary.expiry': options.expiry.toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
    };
    const p = Buffer.from(JSON.stringify(protectedHeader)).toString('base64url');
    const signature = signWith(leaf.key, Buffer.from(`${p}.${payload.toString('base64url')}`), alg.pss);
    const timestamp = options.timestamp ? { 'io.cncf.notary.timestampSignature': options.timestamp(signature).toString('base64') } : {};
    return Buffer.from(JSON.stringify({ payload: stored.toString('base64url'), protected: p, header: { x5c: chain.map((c) => c.der.toString('base64')), 'io.cncf.notary.signingAgent': 'lazaret-tests/1.0', ...timestamp }, signature: signature.toString('base64url') }));
  }
  const header = new Map<number | string, unknown>([
    [1, alg.cose],
    [2, crit],
    [3, 'application/vnd.cncf.notary.payload.v1+json'],
    ['io.cncf.notary.signingScheme', 'notary.x509'],
    ['io.cncf.notary.signingTime', new Tag(1, Math.floor(Date.now() / 1000))],
    ...(options.expiry ? [['io.cncf.notary.expiry', new Tag(1, Math.floor(options.expiry.getTime() / 1000))] as [string, unknown]] : []),
  ]);
  const protectedBytes = encode(header);
  const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), new Uint8Array(payload)]);
  const signature = signWith(leaf.key, Buffer.from(toBeSigned), alg.pss);
  const unprotected = new Map<number | string, unknown>([
    [33, chain.map((c) => new Uint8Array(c.der))],
    ['io.cncf.notary.signingAgent', 'lazaret-tests/1.0'],
    ...(options.timestamp ? [['io.cncf.notary.timestampSignature', new Uint8Array(options.timestamp(signature))] as [string, unknown]] : []),
  ]);
  return Buffer.from(encode(new Tag(18, [protectedBytes, unprotected, new Uint8Array(stored), new Uint8Array(signature)])));
}

/** Pushes an envelope as notation does: a referrer of the image, the envelope its one layer. */
export function pushNotation(url: string, img: PushedImage, format: 'jws' | 'cose', envelope: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const layerMediaType = format === 'jws' ? 'application/jose+json' : 'application/cose';
  return pushReferrer(url, img, { artifactType: 'application/vnd.cncf.notary.signature', layerMediaType, content: envelope, annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' } }, headers);
}
