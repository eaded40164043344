/**
 * One delivery attempt: POST the stored event body to the webhook's serviceUri and capture
 * what happened for the attempt log. Never throws: network errors and timeouts become an
 * attempt without a response.
 *
 * Headers sent: `Content-Type: application/json` (unless a custom header sets another
 * Content-Type), the webhook's custom headers, `X-Lazaret-Event-Id`, and with a secret
 * `X-Lazaret-Timestamp` + `X-Lazaret-Signature` (webhook-signature.ts). Redirects are not
 * followed (a 3xx is a failed attempt): the admin configured one exact URI.
 * What is logged masks every custom header value except Content-Type (they are write-only,
 * like the serviceUri's password, which is masked too).
 */
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import type { AttemptRecord, ClaimedDelivery } from './event-store.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './webhook-signature.ts';

export const MASK = '******';
/** Bytes of the response body kept in the log. */
export const RESPONSE_BODY_LIMIT = 4096;

export interface AttemptResult extends AttemptRecord {
  ok: boolean;
}

/** The serviceUri as logged: a password in it is masked. */
export function maskUri(uri: string): string {
  try {
    const u = new URL(uri);
    if (u.password) u.password = MASK;
    return u.toString();
  } catch {
    return uri;
  }
}

export function buildHeaders(claim: Pick<ClaimedDelivery, 'eventId' | 'target' | 'body'>, now: number): { sent: Record<string, string>; logged: Record<string, string> } {
  const custom = claim.target.customHeaders;
  const hasContentType = Object.keys(custom).some((k) => k.toLowerCase() === 'content-type');
  const sent: Record<string, string> = hasContentType ? {} : { 'Content-Type': 'application/json' };
  const logged: Record<string, string> = { ...sent };
  for (const [k, v] of Object.entries(custom)) {
    sent[k] = v;
    logged[k] = k.toLowerCase() === 'content-type' ? v : MASK;
  }
  const own: Record<string, string> = { [EVENT_ID_HEADER]: claim.eventId };
  if (claim.target.secret !== undefined) {
    const timestamp = String(Math.floor(now / 1000));
    own[TIMESTAMP_HEADER] = timestamp;
    own[SIGNATURE_HEADER] = signBody(claim.target.secret, timestamp, claim.body);
  }
  return { sent: { ...sent, ...own }, logged: { ...logged, ...own } };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_BODY_LIMIT) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
}

export async function attemptDelivery(
  claim: ClaimedDelivery,
  options: { dispatcher: Dispatcher; timeoutMs: number; signal?: AbortSignal },
): Promise<AttemptResult> {
  const startedAt = Date.now();
  const { sent, logged } = buildHeaders(claim, startedAt);
  const base = { attempt: claim.attempts, startedAt: new Date(startedAt), requestUri: maskUri(claim.target.serviceUri), requestHeaders: logged };
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const url = new URL(claim.target.serviceUri);
    // Credentials in the URI become Basic auth (undici does not take them from the URL).
    const auth = url.username
      ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` }
      : {};
    const res = await options.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers: { ...auth, ...sent },
      body: claim.body,
      signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const responseBody = await readLimited(res.body as unknown as AsyncIterable<Buffer> & { destroy(): void }).catch(() => '');
    const responseHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    return {
      ...base,
      durationMs: Date.now() - startedAt,
      responseStatus: res.statusCode,
      responseReason: STATUS_CODES[res.statusCode] ?? '',
      responseHeaders,
      responseBody,
      ok: res.statusCode >= 200 && res.statusCode < 300,
    };
  } catch (err) {
    const e = err as Error & { code?: string };
    const message = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : `${e.code ? `${e.code}: ` : ''}${e.message}`;
    return { ...base, durationMs: Date.now() - startedAt, error: message, ok: false };
  }
}
