/** The one renderer of errors to HTTP: every failure leaves as `{"errors":[...]}` with a registered code. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, errorBody, registryError } from '../errors/index.ts';
import { fromStorageError } from '../errors/index.ts';
import { StorageError } from '../storage/errors.ts';
import { validationMessage, type ValidationIssue } from './validation-message.ts';

export function sendError(reply: FastifyReply, err: RegistryError) {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.status(err.status).type('application/json; charset=utf-8').send(errorBody([err]));
}

/** Error codes of a body stream whose client went away mid-request. */
const ABORTED_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'FST_ERR_CTP_ABORTED']);

/**
 * A client that disconnected mid-request (a manifest PUT cut off half-way): a client event,
 * not a server fault. Nothing was committed (bodies are read whole and verified before any
 * write), so it is logged at info and answered (to nobody) without a 500.
 */
export function isClientAbort(error: Error & { code?: string }, request: FastifyRequest): boolean {
  const raw = request.raw;
  const cutOff = (raw.destroyed || (raw as { aborted?: boolean }).aborted === true) && !raw.complete;
  return cutOff || ABORTED_CODES.has(error.code ?? '') || error.message === 'aborted';
}

function translate(error: FastifyError | Error, request: FastifyRequest): RegistryError {
  if (error instanceof RegistryError) return error;
  if (error instanceof StorageError) {
    if (error.kind === 'unavailable') request.log.error({ err: error }, 'blob store unavailable');
    return fromStorageError(error);
  }
  if (isClientAbort(error, request)) {
    request.log.info({ reason: error.message, method: request.method, url: request.url.split('?')[0] }, 'request aborted by the client');
    return registryError('BAD_REQUEST', 'the request was aborted by the client');
  }
  const e = error as FastifyError;
  if (e.validation) return registryError('BAD_REQUEST', validationMessage(e.validationContext, e.validation as ValidationIssue[]));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return registryError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return registryError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return registryError('BAD_REQUEST', `invalid JSON body: ${e.message}`);
  }
  if (e instanceof SyntaxError) return registryError('BAD_REQUEST', `invalid JSON body: ${e.message}`);
  request.log.error({ err: error }, 'unhandled error');
  return registryError('INTERNAL');
}

export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => sendError(reply, translate(error, request)));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, registryError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
