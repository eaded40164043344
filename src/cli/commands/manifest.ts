/** `lazaret manifest show|set-verdict`: manifest attributes and verdicts through /acr/v1. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as Acr from '../../acr-api/acr-schemas.ts';
import { callApi, CliError, printResult, resolveConnection, withConnection, type Connection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };

/** `REPO@DIGEST` or `REPO:TAG` (the tag is after the last colon that follows the last slash). */
export function parseImageReference(ref: string): { repository: string; digest?: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at > 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash && colon > 0) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  throw new CliError(`expected REPO@DIGEST or REPO:TAG, got ${JSON.stringify(ref)}`);
}

const enc = encodeURIComponent;

async function resolveDigest(conn: Connection, ref: { repository: string; digest?: string; tag?: string }): Promise<string> {
  if (ref.digest) return ref.digest;
  const res = await callApi<Static<typeof Acr.AcrTag>>(conn, 'GET', `/acr/v1/${enc(ref.repository)}/_tags/${enc(ref.tag!)}`);
  return res.body.tag.digest;
}

type ManifestAttributes = Static<typeof Acr.AcrManifest>;

function printManifest(output: string | undefined, body: ManifestAttributes, repository: string) {
  const m = body.manifest;
  const c = m.changeableAttributes;
  printResult(output, body, [
    { field: 'repository', value: repository },
    { field: 'digest', value: m.digest },
    { field: 'mediaType', value: m.mediaType },
    { field: 'platform', value: m.os || m.architecture ? `${m.os ?? '?'}/${m.architecture ?? '?'}` : '' },
    { field: 'imageSize', value: m.imageSize },
    { field: 'tags', value: m.tags.join(', ') },
    { field: 'created', value: m.createdTime },
    { field: 'quarantineState', value: c.quarantineState ?? '(none)' },
    { field: 'quarantineDetails', value: c.quarantineDetails ?? '' },
    { field: 'attributes', value: (['deleteEnabled', 'writeEnabled', 'readEnabled', 'listEnabled'] as const).map((k) => `${k}=${c[k]}`).join(' ') },
  ]);
}

export function registerManifest(program: Command) {
  const m = program.command('manifest').description('manifest attributes and verdicts');

  withConnection(m.command('show <reference>').description('show a manifest (REPO@DIGEST or REPO:TAG) with its verdict')).action(async (reference: string, opts: Opts) => {
    const conn = resolveConnection(opts);
    const ref = parseImageReference(reference);
    const digest = await resolveDigest(conn, ref);
    const res = await callApi<ManifestAttributes>(conn, 'GET', `/acr/v1/${enc(ref.repository)}/_manifests/${enc(digest)}`);
    printManifest(opts.output, res.body, ref.repository);
  });

  withConnection(m.command('set-verdict <reference>').description('set the verdict of REPO@DIGEST (needs AcrQuarantineWriter)'))
    .requiredOption('--state <state>', 'Passed, Failed or Quarantined')
    .option('--details <json>', 'quarantineDetails: a JSON string, or @FILE to read it from a file')
    .action(async (reference: string, opts: Opts & { state: string; details?: string }) => {
      const conn = resolveConnection(opts);
      const ref = parseImageReference(reference);
      if (!ref.digest) throw new CliError('set-verdict needs REPO@DIGEST: verdicts belong to content, not to tags');
      let details: string | undefined;
      if (opts.details !== undefined) {
        try {
          details = opts.details.startsWith('@') ? readFileSync(opts.details.slice(1), 'utf8').trim() : opts.details;
        } catch (err) {
          throw new CliError(`cannot read ${opts.details.slice(1)}: ${(err as Error).message}`);
        }
      }
      const res = await callApi<ManifestAttributes>(conn, 'PATCH', `/acr/v1/${enc(ref.repository)}/_manifests/${enc(ref.digest)}`, {
        quarantineState: opts.state,
        ...(details !== undefined ? { quarantineDetails: details } : {}),
      });
      printManifest(opts.output, res.body, ref.repository);
    });
}
