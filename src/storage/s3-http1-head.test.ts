/** The strict response-head parser of the S3 GetObject reader (s3/http1-head.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseResponseHead } from './s3/http1-head.ts';

const parse = (...lines: string[]) => parseResponseHead(lines.join('\r\n'));

test('framed by Content-Length: status, reason, lower-case headers, keep-alive', () => {
  assert.deepEqual(parse('HTTP/1.1 206 Partial Content', 'Content-Length: 10', 'ETag: "a"', 'X-Amz-Meta-A: 1', 'x-amz-meta-a: 2'), {
    kind: 'ok',
    status: 206,
    reason: 'Partial Content',
    headers: { 'content-length': '10', etag: '"a"', 'x-amz-meta-a': '1, 2' },
    contentLength: 10,
    keepAlive: true,
  });
  assert.equal((parse('HTTP/1.1 200 OK', 'Content-Length: 10', 'Connection: close') as { keepAlive: boolean }).keepAlive, false);
  assert.equal((parse('HTTP/1.0 200 OK', 'Content-Length: 10', 'Connection: keep-alive') as { keepAlive: boolean }).keepAlive, false);
  assert.equal((parse('HTTP/1.1 200 OK', 'Content-Length: 7', 'Content-Length: 7') as { contentLength: number }).contentLength, 7);
  assert.equal((parse('HTTP/1.1 204 No Content') as { contentLength: number }).contentLength, 0);
  assert.equal((parse('HTTP/1.1 304 Not Modified', 'ETag: "a"') as { contentLength: number }).contentLength, 0);
  assert.equal((parse('HTTP/1.1 200 ', 'Content-Length: 0') as { reason: string }).reason, '');
});

test('valid HTTP this reader does not frame: unsupported (sent again through node:http)', () => {
  for (const head of [
    ['HTTP/1.1 100 Continue'],
    ['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'],
    ['HTTP/1.1 200 OK', 'Content-Length: 5', 'Transfer-Encoding: chunked'],
    ['HTTP/1.1 200 OK', 'ETag: "a"'],
    ['HTTP/1.1 200 OK', 'Content-Length: 5', 'X-Long: a', ' folded'],
  ]) {
    assert.equal(parse(...head).kind, 'unsupported', head.join(' | '));
  }
});

test('invalid heads: an error, never a guess', () => {
  for (const head of [
    ['HTTP/2 200 OK', 'Content-Length: 1'],
    ['HTTP/1.1 20 OK', 'Content-Length: 1'],
    ['HTTP/1.1 2000 OK', 'Content-Length: 1'],
    ['http/1.1 200 OK', 'Content-Length: 1'],
    ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 2'],
    ['HTTP/1.1 200 OK', 'Content-Length: 1, 2'],
    ['HTTP/1.1 200 OK', 'Content-Length: -1'],
    ['HTTP/1.1 200 OK', 'Content-Length: 0x10'],
    ['HTTP/1.1 200 OK', 'Content-Length: 9999999999999999'],
    ['HTTP/1.1 200 OK', 'Content-Length : 1'],
    ['HTTP/1.1 200 OK', 'Content-Length: 1', 'X: a\nb'],
    ['HTTP/1.1 200 OK', 'Content-Length: 1', 'X: a\0b'],
    ['HTTP/1.1 200 OK', 'Content-Length: 1', ''],
  ]) {
    assert.equal(parse(...head).kind, 'invalid', JSON.stringify(head));
  }
});
