/**
 * Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, monolithic `?digest=`, or mount
 * `?mount=&from=`), `PATCH|PUT|GET|DELETE /v2/<name>/blobs/uploads/<id>`.
 *
 * Bytes go from the request stream straight into the BlobStore (temp area); a blob becomes
 * visible only after `commit` verified its digest, and only then is it linked to the
 * repository. Sessions are bound to the repository that opened them. Every upload response
 * carries `Location` (path-absolute), `Range: 0-<last byte>` and `Docker-Upload-UUID`.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { isStorageError } from '../storage/errors.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import { digestOrUndefined, locations, queryValue, repositoryName, requireDigest, type Params } from './params.ts';
import { consumingBody, contentLength, hasBody, limitStream } from './body.ts';
import { parseContentRange, uploadRangeHeader } from './byte-range.ts';
import { openUploadSession } from './upload-limits.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';
import { linkClaimed, linkUploadedBlob } from '../lifecycle/gc/claims.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function progressHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    Location: locations.upload(name, id),
    Range: uploadRangeHeader(size),
    'Docker-Upload-UUID': id,
    'Blob-Upload-Session-ID': id,
  };
}

export function registerUploads(app: FastifyInstance, services: Services) {
  const { store, blobs } = services;

  /** The upload named by the URL, bound to this repository, with its authoritative size. */
  async function session(request: FastifyRequest, name: string): Promise<{ id: string; size: number }> {
    const id = (request.params as Params).id ?? '';
    const record = UUID_RE.test(id) ? await store.uploads.get(id) : undefined;
    if (!record || record.repository !== name) throw registryError('BLOB_UPLOAD_UNKNOWN', undefined, { id: id.slice(0, 100) });
    const size = await blobs.uploads.size(id);
    if (size === undefined) {
      await store.uploads.delete(id);
      throw registryError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    }
    return { id, size };
  }

  /** Appends the request body at the upload's end, honouring an optional Content-Range. */
  async function appendBody(request: FastifyRequest, name: string, id: string, size: number): Promise<number> {
    const rangeHeader = request.headers['content-range'];
    let expected: number | undefined;
    if (rangeHeader !== undefined) {
      const range = parseContentRange(rangeHeader);
      if (!range) throw registryError('BLOB_UPLOAD_RANGE_INVALID', `malformed Content-Range: ${rangeHeader.slice(0, 80)}`, undefined, progressHeaders(name, id, size));
      if (range.start !== size) {
        throw registryError('BLOB_UPLOAD_OUT_OF_ORDER', `chunk starts at ${range.start}, the upload ends at ${size}`, { offset: size }, progressHeaders(name, id, size));
      }
      expected = range.end - range.start + 1;
      const declared = contentLength(request);
      if (declared !== undefined && declared !== expected) {
        throw registryError('SIZE_INVALID', `Content-Length ${declared} does not match Content-Range ${rangeHeader}`, undefined, progressHeaders(name, id, size));
      }
    }
    // With a Content-Length, Node's HTTP parser already bounds the body exactly.
    let data: Readable = request.raw;
    if (expected !== undefined && contentLength(request) === undefined) {
      data = limitStream(request.raw, expected, () => registryError('SIZE_INVALID', 'chunk is longer than its Content-Range'));
    }
    let newSize: number;
    try {
      newSize = await consumingBody(request, () => blobs.uploads.append(id, size, data));
    } catch (err) {
      if (isStorageError(err, 'range-not-satisfiable')) {
        // Another request (maybe on another node) moved the upload on: tell the client where it stands.
        const now = (await blobs.uploads.size(id)) ?? size;
        throw registryError('BLOB_UPLOAD_OUT_OF_ORDER', err.message, { offset: now }, progressHeaders(name, id, now));
      }
      throw err;
    }
    await store.uploads.touch(id, newSize);
    if (expected !== undefined && newSize !== size + expected) {
      throw registryError('SIZE_INVALID', `chunk had ${newSize - size} bytes, its Content-Range said ${expected}`, undefined, progressHeaders(name, id, newSize));
    }
    return newSize;
  }

  /**
   * The whole blob in the closing PUT of an empty session (POST, then PUT with the body: how
   * most clients push a layer "monolithically"). Nothing of it has to outlive this request, so it
   * is written as `put` writes a POST ?digest= body, hashed with node:crypto in this process,
   * rather than appended through the session, whose hash state must survive a move to another
   * node (S3: a resumable SHA-256 in WebAssembly, about a seventh of node:crypto's speed;
   * bench/README.md "64 MiB push on S3"). The empty session is removed either way.
   */
  async function putWhole(request: FastifyRequest, id: string, digest: ReturnType<typeof requireDigest>) {
    let info;
    try {
      info = await consumingBody(request, () => blobs.put(digest, request.raw, contentLength(request)));
    } catch (err) {
      // As with a mismatching commit, the session is over: the client starts again. After any
      // other failure (the body cut off, the store down) the session stays empty and usable.
      if (isStorageError(err, 'digest-mismatch') || isStorageError(err, 'size-mismatch')) {
        await blobs.uploads.abort(id);
        await store.uploads.delete(id);
      }
      throw err;
    }
    await blobs.uploads.abort(id);
    return info;
  }

  function created(reply: FastifyReply, name: string, digest: string) {
    return reply
      .code(201)
      .header('Location', locations.blob(name, digest))
      .header('Docker-Content-Digest', digest)
      .header('Content-Length', 0)
      .send();
  }

  /** A cross-repository mount, when everything allows it; false means "fall back to a session". */
  async function tryMount(request: FastifyRequest, name: string): Promise<string | undefined> {
    const digest = digestOrUndefined(queryValue(request, 'mount'));
    const from = queryValue(request, 'from');
    // Decision: `from` is required (no registry-wide search): the caller must name a source
    // repository it may pull from, and the gate must agree.
    if (!digest || !from || !isValidRepositoryName(from)) return undefined;
    // Pull on `from`, linked there, bytes present, the gate, readEnabled: the registry service's.
    const size = await services.registry.as(request.access).mountSource(from, digest);
    if (size === undefined) return undefined;
    // Claimed against the garbage collector: if it deleted the bytes since the check above,
    // nothing is linked and the client gets an upload session instead.
    return (await store.transaction((tx) => linkClaimed(tx, blobs, name, digest, size))) ? digest : undefined;
  }

  async function start(request: FastifyRequest, reply: FastifyReply) {
    const name = repositoryName(request);
    await services.registry.as(request.access).checkUploadTarget(name);
    if (queryValue(request, 'mount') !== undefined) {
      const mounted = await tryMount(request, name);
      if (mounted) return created(reply, name, mounted);
    } else if (queryValue(request, 'digest') !== undefined) {
      // Monolithic upload in one POST: stream, verify, commit, link.
      const digest = requireDigest(queryValue(request, 'digest'), 'digest query parameter');
      const info = await consumingBody(request, () => blobs.put(digest, request.raw, contentLength(request)));
      await linkUploadedBlob(store, blobs, name, digest, info.size);
      return created(reply, name, digest);
    }
    const id = randomUUID();
    await openUploadSession(services, request, name, id);
    for (const [k, v] of Object.entries(progressHeaders(name, id, 0))) reply.header(k, v);
    return reply.code(202).header('Content-Length', 0).send();
  }

  for (const route of [distributionRoutes.postUpload, distributionRoutes.postUploadNoSlash]) serve(app, route, start);


  serve(app, distributionRoutes.patchUpload, async (request, reply) => {
      const name = repositoryName(request);
      const { id, size } = await session(request, name);
      const newSize = await appendBody(request, name, id, size);
      for (const [k, v] of Object.entries(progressHeaders(name, id, newSize))) reply.header(k, v);
      return reply.code(202).header('Content-Length', 0).send();
    });

  serve(app, distributionRoutes.putUpload, async (request, reply) => {
      const name = repositoryName(request);
      const { id, size } = await session(request, name);
      const digest = requireDigest(queryValue(request, 'digest'), 'digest query parameter');
      let info;
      if (size === 0 && hasBody(request) && request.headers['content-range'] === undefined) {
        info = await putWhole(request, id, digest);
      } else {
        if (hasBody(request)) await appendBody(request, name, id, size);
        try {
          info = await blobs.uploads.commit(id, digest);
        } catch (err) {
          // The store dropped the temp bytes of a mismatching upload: the session is over.
          if (isStorageError(err, 'digest-mismatch')) await store.uploads.delete(id);
          throw err;
        }
      }
      await linkUploadedBlob(store, blobs, name, digest, info.size);
      await store.uploads.delete(id);
      return created(reply, name, digest);
    });

  serve(app, distributionRoutes.getUpload, async (request, reply) => {
      const name = repositoryName(request);
      const { id, size } = await session(request, name);
      for (const [k, v] of Object.entries(progressHeaders(name, id, size))) reply.header(k, v);
      return reply.code(204).send();
    });

  // Decision: cancelling an upload needs `push` (it is part of pushing), not `delete`.
  serve(app, distributionRoutes.deleteUpload, async (request, reply) => {
      const name = repositoryName(request);
      const { id } = await session(request, name);
      await blobs.uploads.abort(id);
      await store.uploads.delete(id);
      return reply.code(204).send();
    });
}
