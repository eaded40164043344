/**
 * Request bodies on /v2 are never parsed by Fastify: the scope's catch-all content-type parser
 * leaves `request.raw` unread, and each route decides how much it reads. Manifests are read
 * into memory with a hard bound; blob bytes are streamed into the BlobStore.
 */
import { Transform, type Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { RegistryError, registryError } from '../errors/index.ts';

/** Whether the request carries a body (a non-zero Content-Length or chunked transfer). */
export function hasBody(request: FastifyRequest): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const len = request.headers['content-length'];
  return len !== undefined && len !== '0';
}

/** The declared Content-Length, when present and well-formed. */
export function contentLength(request: FastifyRequest): number | undefined {
  const len = request.headers['content-length'];
  return len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
}

/**
 * Reads at most `max` bytes. Returns undefined as soon as the body is longer, without buffering
 * the rest: the remainder is left flowing to nowhere (Node discards an unread request body
 * after the response), so the socket stays usable for the error response.
 */
export function readBounded(stream: Readable, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (value: Buffer | undefined, err?: unknown) => {
      if (done) return;
      done = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        finish(undefined);
        stream.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks, total));
    const onError = (err: unknown) => finish(undefined, err);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/**
 * A stream of exactly the source's bytes that fails with `tooLong()` once more than `max` bytes
 * arrive, and with an error when the client goes away before the end (so a store never waits
 * forever on a half-sent body). On overflow the source is drained, not destroyed, so the error
 * response can still be written.
 */
export function limitStream(source: Readable, max: number, tooLong: () => RegistryError): Readable {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(tooLong());
      else cb(null, chunk);
    },
  });
  const abort = (err: Error) => {
    if (!out.destroyed) out.destroy(err);
  };
  source.on('error', abort);
  source.on('close', () => {
    if (!source.readableEnded) abort(new Error('request body aborted by the client'));
  });
  out.on('error', () => {
    source.unpipe(out);
    source.resume();
  });
  source.pipe(out);
  return out;
}

/**
 * Runs a body-consuming store call; when it fails because the client went away before its body
 * ended, the failure becomes a 400 BLOB_UPLOAD_INVALID (nobody is listening, but the log then
 * says what happened instead of reporting an internal error).
 */
export async function consumingBody<T>(request: FastifyRequest, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof RegistryError) && !request.raw.complete && (request.raw.destroyed || request.raw.errored)) {
      throw registryError('BLOB_UPLOAD_INVALID', 'the client closed the connection before the body ended');
    }
    throw err;
  }
}
