/**
 * A strict parser for the head of an HTTP/1.1 response (status line and header fields), for
 * the GetObject reader (get-object-handler.ts). It accepts only what that reader can frame
 * exactly: a body delimited by Content-Length. Anything else that is valid HTTP (chunked
 * transfer coding, a body delimited by closing the connection, an interim 1xx answer, obsolete
 * line folding) is `unsupported`: the request is sent again through node:http, which handles
 * it. What is invalid (a malformed status line or field, conflicting Content-Length values) is
 * `invalid`: an error, never a guess about where the body ends.
 */

import { FIELD_VALUE_CHARS, TOKEN_CHARS } from '../../http/http-syntax.ts';

export interface ResponseHead {
  kind: 'ok';
  status: number;
  reason: string;
  /** Lower-case names; repeated fields joined with ', ' (as node:http and the SDK do). */
  headers: Record<string, string>;
  /** Body length in bytes (0 for 204 and 304). */
  contentLength: number;
  /** The connection may carry another request after this body. */
  keepAlive: boolean;
}

export type ParsedHead = ResponseHead | { kind: 'unsupported'; why: string } | { kind: 'invalid'; why: string };

// The space before an empty reason is sometimes left out: tolerated, nothing else is.
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
// A token, then the field value without leading or trailing whitespace (../../http/http-syntax.ts).
const FIELD = new RegExp(`^(${TOKEN_CHARS}+):[\\t ]*(${FIELD_VALUE_CHARS}*?)[\\t ]*$`);
const DIGITS = /^\d{1,15}$/;

/** Parses `head` (latin1, the bytes before the blank line that ends the head, without it). */
export function parseResponseHead(head: string): ParsedHead {
  const lines = head.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) return { kind: 'invalid', why: `malformed status line ${JSON.stringify(lines[0]!.slice(0, 80))}` };
  const code = Number(status[2]);
  if (code < 200) return { kind: 'unsupported', why: `interim response ${code}` };
  const headers: Record<string, string> = {};
  const lengths = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(' ') || line.startsWith('\t')) return { kind: 'unsupported', why: 'obsolete line folding' };
    const field = FIELD.exec(line);
    if (!field) return { kind: 'invalid', why: `malformed header field ${JSON.stringify(line.slice(0, 80))}` };
    const name = field[1]!.toLowerCase();
    const value = field[2]!;
    if (name === 'content-length') for (const v of value.split(',')) lengths.add(v.trim());
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  if ('transfer-encoding' in headers) return { kind: 'unsupported', why: `transfer-encoding ${headers['transfer-encoding']}` };
  let contentLength: number;
  if (code === 204 || code === 304) contentLength = 0;
  else if (lengths.size === 0) return { kind: 'unsupported', why: 'no content-length (body delimited by close)' };
  else if (lengths.size > 1) return { kind: 'invalid', why: `conflicting content-length ${headers['content-length']}` };
  else {
    const [only] = lengths;
    if (!DIGITS.test(only!)) return { kind: 'invalid', why: `malformed content-length ${JSON.stringify(only)}` };
    contentLength = Number(only);
  }
  const connection = (headers.connection ?? '').toLowerCase().split(',').map((t) => t.trim());
  // HTTP/1.0 keep-alive is an extension this reader does not speak: one exchange, then close.
  const keepAlive = status[1] === '1' && !connection.includes('close');
  return { kind: 'ok', status: code, reason: status[3] ?? '', headers, contentLength, keepAlive };
}
