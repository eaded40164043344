/** `lazaret scope-map list|show|create|update|delete` (Owner only; /api/v1/scope-maps). */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import { callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import type { ScopeMap } from '../../management-api/identity-schemas.ts';

type Opts = ConnectionOptions & { output?: string };
/** The server's wire type (docs/architecture.md "Wire types"): a change of shape fails this check. */
type ScopeMapJson = Static<typeof ScopeMap>;

export function registerScopeMap(program: Command) {
  const sm = program.command('scope-map').description('scope maps for repository-scoped tokens (Owner only)');
  const path = (name: string) => `/api/v1/scope-maps/${encodeURIComponent(name)}`;
  const rows = (maps: ScopeMapJson[]) => maps.map((m) => ({ name: m.name, type: m.type, actions: m.actions.join(' '), description: m.description }));

  withConnection(sm.command('list').description('list scope maps (the three system ones first)')).action(async (opts: Opts) => {
    const res = await callApi<ScopeMapJson[]>(resolveConnection(opts), 'GET', '/api/v1/scope-maps');
    printResult(opts.output, res.body, rows(res.body));
  });

  withConnection(sm.command('show <name>').description('one scope map')).action(async (name: string, opts: Opts) => {
    const res = await callApi<ScopeMapJson>(resolveConnection(opts), 'GET', path(name));
    printResult(opts.output, res.body, rows([res.body]));
  });

  for (const verb of ['create', 'update'] as const) {
    withConnection(sm.command(`${verb} <name>`).description(`${verb} a scope map (replaces its actions)`))
      .requiredOption('--action <action...>', 'repositories/<name|prefix/*|*>/<content/read|content/write|content/delete|metadata/read|metadata/write|quarantine/exception-write>')
      .option('--description <text>', 'what it is for')
      .action(async (name: string, opts: Opts & { action: string[]; description?: string }) => {
        const res = await callApi<ScopeMapJson>(resolveConnection(opts), 'PUT', path(name), { actions: opts.action, ...(opts.description ? { description: opts.description } : {}) });
        if (opts.output === 'json') return printResult('json', res.body);
        console.log(`${res.status === 201 ? 'created' : 'updated'} scope map ${res.body.name}: ${res.body.actions.join(' ')}`);
      });
  }

  withConnection(sm.command('delete <name>').description('delete a scope map no token uses')).action(async (name: string, opts: Opts) => {
    await callApi(resolveConnection(opts), 'DELETE', path(name));
    if (opts.output === 'json') printResult('json', { deleted: name });
    else console.log(`deleted scope map ${name}`);
  });
}
