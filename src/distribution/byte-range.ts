/**
 * The two range headers of /v2: `Range` on blob GETs (RFC 9110, single byte ranges) and
 * `Content-Range` on upload chunks (the OCI `<start>-<end>` form, inclusive).
 */

export type RangeDecision =
  | { kind: 'whole' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Decides what a blob GET serves. Decision: a malformed `Range`, another unit or several ranges
 * are ignored and the whole blob is served (RFC 9110 lets a server ignore Range); a well-formed
 * single range that misses the blob is 416.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'whole' };
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m) return { kind: 'whole' };
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return { kind: 'whole' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return { kind: 'partial', start, end };
}

/**
 * An upload chunk's `Content-Range`. The spec's form is `<start>-<end>`; `bytes=` / `bytes `
 * prefixes and a `/<total>` suffix (sent by some clients) are tolerated. Undefined = malformed.
 */
export function parseContentRange(header: string): { start: number; end: number } | undefined {
  const m = /^\s*(?:bytes[= ])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?\s*$/.exec(header);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/** The `Range` header of upload responses: `0-<last byte>`, `0-0` for an empty upload (Distribution's convention). */
export function uploadRangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
