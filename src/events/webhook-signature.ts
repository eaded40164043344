/**
 * Delivery signatures. With a secret, every attempt carries:
 *   X-Lazaret-Timestamp: <unix seconds when the attempt was made>
 *   X-Lazaret-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * The timestamp is inside the signed text so a captured delivery cannot be replayed later with a
 * fresh timestamp; receivers should reject timestamps older than a few minutes and compare in
 * constant time. docs/webhooks.md shows a receiver.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Lazaret-Signature';
export const TIMESTAMP_HEADER = 'X-Lazaret-Timestamp';
export const EVENT_ID_HEADER = 'X-Lazaret-Event-Id';

export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver-side check (used by tests and shown in the docs). */
export function verifySignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
  options: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  const age = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
  return Number.isFinite(age) && age <= (options.toleranceSeconds ?? 300);
}
