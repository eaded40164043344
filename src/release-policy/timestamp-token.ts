/**
 * RFC 3161 timestamp tokens (a TSA's countersignature) checked against a trust store of TSA
 * root certificates: what gives a Notation signature an authentic signing time (./notation.ts).
 *
 * The parsing and the signature check are @sigstore/core's (RFC3161Timestamp: message imprint
 * over `data`, the signed attributes' digest of the TSTInfo, the signature with a key). What is
 * added here is where that key comes from: the certificates the token carries (SignedData's
 * `certificates`), the one whose serial number the signer names, chained to a certificate of
 * the trust store, allowed to timestamp (the critical timeStamping extended key usage RFC 3161
 * requires), and valid at the time it vouches for.
 */
import { X509Certificate } from 'node:crypto';
import type { RFC3161Timestamp } from '@sigstore/core';
import { policyLibraries } from './libraries.ts';

const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** DER of PKIStatusInfo { status granted(0) }: RFC3161Timestamp reads a TimeStampResp, Notation stores the bare token. */
const GRANTED = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);

export type TimestampCheck = { valid: true; time: Date; authority: string } | { valid: false; problem: string };

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TimeStampResp around a bare TimeStampToken (a response is accepted as it is). */
function asResponse(der: Buffer): Buffer {
  const top = policyLibraries().core.ASN1Obj.parseBuffer(der as Buffer<ArrayBuffer>);
  // A TimeStampResp starts with the PKIStatusInfo SEQUENCE; a token (ContentInfo) with its OID.
  if (top.subs[0]?.tag.isOID() !== true) return der;
  const body = Buffer.concat([GRANTED, der]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

/** The certificates a token's SignedData carries ([0] IMPLICIT SET OF Certificate). */
function embeddedCertificates(response: Buffer): X509Certificate[] {
  const token = policyLibraries().core.ASN1Obj.parseBuffer(response as Buffer<ArrayBuffer>).subs[1];
  const signedData = token?.subs[1]?.subs[0];
  const set = signedData?.subs.find((s) => s.tag.isContextSpecific(0));
  const out: X509Certificate[] = [];
  for (const cert of set?.subs ?? []) {
    try {
      out.push(new X509Certificate(cert.toDER()));
    } catch {
      /* not a certificate: ignored */
    }
  }
  return out;
}

const serialOf = (hex: Buffer) => hex.toString('hex').replace(/^0+/, '').toUpperCase();
const signedBy = (cert: X509Certificate, issuer: X509Certificate) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
const validAt = (cert: X509Certificate, at: Date) => at >= new Date(cert.validFrom) && at <= new Date(cert.validTo);

/** Checks `token` (DER TimeStampToken or TimeStampResp) over `data` against `trustStore`. */
export function checkTimestampToken(token: Buffer, data: Buffer, trustStore: readonly X509Certificate[]): TimestampCheck {
  const refuse = (problem: string): TimestampCheck => ({ valid: false, problem });
  let ts: RFC3161Timestamp;
  let response: Buffer;
  try {
    response = asResponse(token);
    ts = policyLibraries().core.RFC3161Timestamp.parse(response as Buffer<ArrayBuffer>);
    if (ts.status !== 0n && ts.status !== 1n) return refuse(`the timestamp response was not granted (status ${ts.status})`);
  } catch (err) {
    return refuse(`the timestamp token does not parse: ${(err as Error).message}`);
  }
  const certificates = embeddedCertificates(response);
  const serial = serialOf(ts.signerSerialNumber);
  const signer = certificates.find((c) => c.serialNumber.replace(/^0+/, '').toUpperCase() === serial);
  if (!signer) return refuse('the timestamp token does not carry its signer\'s certificate');
  try {
    ts.verify(data, signer.publicKey);
  } catch (err) {
    return refuse(`the timestamp does not verify (${(err as Error).message})`);
  }
  if (!signer.keyUsage?.includes(TIME_STAMPING)) return refuse('the timestamp signer\'s certificate is not for timestamping (extended key usage)');
  const time = ts.signingTime;
  // The signer's chain: each certificate signed by the next one it carries, until one is signed by (or is) a trust store certificate.
  let current = signer;
  const chain = [signer];
  for (let hops = 0; hops < 5; hops++) {
    if (trustStore.some((ca) => ca.raw.equals(current.raw) || signedBy(current, ca))) {
      const stale = chain.find((c) => !validAt(c, time));
      if (stale) return refuse(`the timestamp authority's certificate ${stale.subject.replace(/\n/g, ', ')} was not valid at ${time.toISOString()}`);
      return { valid: true, time, authority: signer.subject.replace(/\n/g, ', ') };
    }
    const next = certificates.find((c) => !c.raw.equals(current.raw) && signedBy(current, c));
    if (!next) break;
    chain.push(next);
    current = next;
  }
  return refuse('the timestamp authority does not chain to a certificate of the TSA trust store');
}
