/**
 * The one place an upload session is opened, and therefore the one check of how many may be
 * open: per principal (`uploads.maxPerPrincipal`) and per repository
 * (`uploads.maxPerRepository`). Over either: 429 TOOMANYREQUESTS with `Retry-After`, before any
 * temp file exists. Each session is a metadata row and a temp file kept until it finishes or
 * the janitor removes it (sessions that never received a byte go after
 * `uploads.untouchedStaleAfterSeconds`), so an unbounded stream of POSTs is a disk and table
 * flood (one pusher opened 1,500 in a second).
 */
import type { FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';

/** What a refused client is told to wait: about how long a busy client needs to finish some. */
export const UPLOAD_RETRY_AFTER_SECONDS = 30;

export async function openUploadSession(services: Services, request: FastifyRequest, repository: string, id: string): Promise<void> {
  const { maxPerPrincipal, maxPerRepository } = services.config.uploads;
  const opened = await services.store.uploads.open(id, repository, { openedBy: request.access.principal.id, maxPerPrincipal, maxPerRepository });
  if ('refused' in opened) {
    const [who, limit] = opened.refused === 'principal' ? [`you (${request.access.principal.name})`, maxPerPrincipal] : [`repository ${repository}`, maxPerRepository];
    request.log.warn({ repository, principal: request.access.principal.name, bound: opened.refused, limit }, 'upload session refused: too many open');
    throw registryError('TOO_MANY_REQUESTS', `${who} already hold${opened.refused === 'principal' ? '' : 's'} ${limit} open upload sessions; finish or cancel some, or retry after ${UPLOAD_RETRY_AFTER_SECONDS} s`, { limit }, { 'Retry-After': String(UPLOAD_RETRY_AFTER_SECONDS) });
  }
  try {
    await services.blobs.uploads.create(id);
  } catch (err) {
    await services.store.uploads.delete(id);
    throw err;
  }
}
