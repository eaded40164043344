/**
 * `lazaret recycle-bin`: soft-deleted manifests (docs/storage-lifecycle.md "Soft delete"; Owner).
 *   list [--repository NAME]        what is in the bin, when it expires
 *   restore NAME@DIGEST             bring it back with the tags it had that are still free
 *   purge NAME@DIGEST               delete it for good (garbage collection frees its blobs)
 */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { PurgeAnswer, RecycleBinPage, RecycledEntry, RestoreAnswer } from '../../management-api/recycle-bin-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Entry = Static<typeof RecycledEntry>;

/** `team/app@sha256:...` → its two parts. */
export function parseRecycledRef(text: string): { repository: string; digest: string } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) throw new CliError(`${text}: expected NAME@DIGEST, e.g. team/app@sha256:...`);
  return { repository: text.slice(0, at), digest: text.slice(at + 1) };
}

const row = (e: Entry) => ({ manifest: `${e.repository}@${e.digest}`, tags: e.tags.join(',') || '-', deleted: e.deletedAt, by: e.deletedBy, expires: e.expiresAt, quarantine: e.quarantineState ?? '' });

export function registerRecycleBin(program: Command) {
  const bin = program.command('recycle-bin').description('soft-deleted manifests: list, restore, purge (Owner; on when recycleBin.days is set)');

  withConnection(bin.command('list').description('the soft-deleted manifests and when they expire'))
    .option('--repository <name>', 'only this repository')
    .action(async (opts: ConnectionOptions & { output?: string; repository?: string }) => {
      const connection = resolveConnection(opts);
      const entries: Entry[] = [];
      let days = 0;
      for (let last: string | undefined; ; ) {
        const query = new URLSearchParams({ n: '1000', ...(opts.repository ? { repository: opts.repository } : {}), ...(last ? { last } : {}) });
        const { body } = await callApi<Static<typeof RecycleBinPage>>(connection, 'GET', `/api/v1/recycle-bin?${query}`);
        entries.push(...body.entries);
        days = body.days;
        if (!body.next) break;
        last = body.next;
      }
      if (opts.output === 'json') return printResult('json', { days, entries });
      if (days === 0) console.log('soft delete is off (recycleBin.days is 0): deleted manifests do not come here');
      printResult('table', entries, entries.map(row));
    });

  withConnection(bin.command('restore <name@digest>').description('restore a manifest with the tags it had that no other manifest took since')).action(async (ref: string, opts: ConnectionOptions & { output?: string }) => {
    const { body } = await callApi<Static<typeof RestoreAnswer>>(resolveConnection(opts), 'POST', '/api/v1/recycle-bin/restore', parseRecycledRef(ref));
    if (opts.output === 'json') return printResult('json', body);
    console.log(`restored ${body.restored.repository}@${body.restored.digest}${body.tags.length ? ` with tags ${body.tags.join(', ')}` : ''}`);
    if (body.skippedTags.length) console.log(`not restored (they name another manifest now): ${body.skippedTags.join(', ')}`);
  });

  withConnection(bin.command('purge <name@digest>').description('delete a soft-deleted manifest for good; garbage collection frees its blobs')).action(async (ref: string, opts: ConnectionOptions & { output?: string }) => {
    const { body } = await callApi<Static<typeof PurgeAnswer>>(resolveConnection(opts), 'POST', '/api/v1/recycle-bin/purge', parseRecycledRef(ref));
    if (opts.output === 'json') return printResult('json', body);
    console.log(`purged ${body.purged.repository}@${body.purged.digest}`);
  });
}
