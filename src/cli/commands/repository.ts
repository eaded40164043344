/** `lazaret repository list|show|show-tags|show-manifests|delete`, through /acr/v1 (what the caller may see). */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as Acr from '../../acr-api/acr-schemas.ts';
import { callApi, CliError, printResult, resolveConnection, withConnection, type Connection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };
const enc = encodeURIComponent;

/** Follows ACR `Link: <...>; rel="next"` headers, collecting `key` from every page. */
async function allPages<T>(conn: Connection, path: string, key: string): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = path;
  for (let i = 0; next && i < 10_000; i++) {
    const res: Awaited<ReturnType<typeof callApi<Record<string, T[] | null>>>> = await callApi<Record<string, T[] | null>>(conn, 'GET', next);
    out.push(...(res.body[key] ?? []));
    const link = res.headers.link;
    next = typeof link === 'string' ? /^<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
  }
  return out;
}

export function registerRepository(program: Command) {
  const r = program.command('repository').description('repositories, their tags and manifests');

  withConnection(r.command('list').description('list repositories')).action(async (opts: Opts) => {
    const names = await allPages<string>(resolveConnection(opts), '/acr/v1/_catalog?n=1000', 'repositories');
    printResult(opts.output, names, names.map((name) => ({ name })));
  });

  withConnection(r.command('show <name>').description('show repository attributes')).action(async (name: string, opts: Opts) => {
    const res = await callApi<Static<typeof Acr.RepositoryAttributes>>(resolveConnection(opts), 'GET', `/acr/v1/${enc(name)}`);
    const b = res.body;
    printResult(opts.output, b, [
      { field: 'name', value: b.imageName },
      { field: 'created', value: b.createdTime },
      { field: 'updated', value: b.lastUpdateTime },
      { field: 'manifests', value: b.manifestCount },
      { field: 'tags', value: b.tagCount },
      { field: 'attributes', value: Object.entries(b.changeableAttributes).map(([k, v]) => `${k}=${v}`).join(' ') },
    ]);
  });

  withConnection(r.command('show-tags <name>').description('list tags with their verdicts'))
    .option('--orderby <order>', 'none, timedesc or timeasc', 'none')
    .action(async (name: string, opts: Opts & { orderby: string }) => {
      const tags = await allPages<Static<typeof Acr.TagAttributes>>(
        resolveConnection(opts), `/acr/v1/${enc(name)}/_tags?n=1000&orderby=${enc(opts.orderby)}`, 'tags',
      );
      printResult(opts.output, tags, tags.map((t) => ({ tag: t.name, digest: t.digest, state: t.quarantineState ?? '', updated: t.lastUpdateTime })));
    });

  withConnection(r.command('show-manifests <name>').description('list manifests with their verdicts'))
    .option('--orderby <order>', 'none, timedesc or timeasc', 'none')
    .action(async (name: string, opts: Opts & { orderby: string }) => {
      const manifests = await allPages<Static<typeof Acr.ManifestAttributes>>(
        resolveConnection(opts), `/acr/v1/${enc(name)}/_manifests?n=1000&orderby=${enc(opts.orderby)}`, 'manifests',
      );
      printResult(opts.output, manifests, manifests.map((m) => ({
        digest: m.digest,
        tags: m.tags.join(','),
        state: m.changeableAttributes.quarantineState ?? '',
        mediaType: m.mediaType,
        updated: m.lastUpdateTime,
      })));
    });

  withConnection(r.command('delete <name>').description('delete a repository with all its manifests and tags; needs --yes'))
    .option('--yes', 'really delete')
    .action(async (name: string, opts: Opts & { yes?: boolean }) => {
      if (!opts.yes) throw new CliError(`deleting ${name} removes all its manifests and tags; repeat with --yes`);
      const res = await callApi<Static<typeof Acr.AcrDeletedRepository>>(resolveConnection(opts), 'DELETE', `/acr/v1/${enc(name)}`);
      printResult(opts.output, res.body, [{ repository: name, manifestsDeleted: res.body.manifestsDeleted.length, tagsDeleted: res.body.tagsDeleted.length }]);
    });
}
