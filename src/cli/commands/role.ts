/** `lazaret role assign|list|remove|builtins` (Owner only for changes; /api/v1/role-assignments). */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import { callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import type { Assignment, RoleInfo } from '../../management-api/identity-schemas.ts';

type Opts = ConnectionOptions & { output?: string };
type AssignOpts = Opts & { user: string; role: string; repository?: string };
/** The server's wire type (docs/architecture.md "Wire types"): a change of shape fails this check. */
type AssignmentJson = Static<typeof Assignment>;

export function registerRole(program: Command) {
  const role = program.command('role').description('role assignments (ACR built-in roles)');

  withConnection(role.command('assign').description('assign a role to a user, registry-wide or on a repository pattern'))
    .requiredOption('--user <name>', 'the user')
    .requiredOption('--role <role>', 'Owner, Contributor, Reader, AcrPull, AcrPush, AcrDelete, AcrImageSigner, AcrQuarantineReader, AcrQuarantineWriter')
    .option('--repository <pattern>', 'limit to a repository or pattern: team-a/app, team-a/*, *')
    .action(async (opts: AssignOpts) => {
      const res = await callApi<AssignmentJson>(resolveConnection(opts), 'POST', '/api/v1/role-assignments', {
        user: opts.user,
        role: opts.role,
        ...(opts.repository ? { repository: opts.repository } : {}),
      });
      if (opts.output === 'json') return printResult('json', res.body);
      console.log(`assigned ${res.body.role} to ${res.body.user} ${res.body.repository ? `on ${res.body.repository}` : 'registry-wide'}`);
    });

  withConnection(role.command('list').description('list role assignments'))
    .option('--user <name>', 'only this user')
    .action(async (opts: Opts & { user?: string }) => {
      const q = opts.user ? `?user=${encodeURIComponent(opts.user)}` : '';
      const res = await callApi<AssignmentJson[]>(resolveConnection(opts), 'GET', `/api/v1/role-assignments${q}`);
      printResult(opts.output, res.body, res.body.map((a) => ({ user: a.user, role: a.role, repository: a.repository ?? '(registry-wide)', created: a.createdAt })));
    });

  withConnection(role.command('remove').description('remove a role assignment'))
    .requiredOption('--user <name>', 'the user')
    .requiredOption('--role <role>', 'the role')
    .option('--repository <pattern>', 'the repository pattern of the assignment (omit for registry-wide)')
    .action(async (opts: AssignOpts) => {
      const q = new URLSearchParams({ user: opts.user, role: opts.role });
      if (opts.repository) q.set('repository', opts.repository);
      await callApi(resolveConnection(opts), 'DELETE', `/api/v1/role-assignments?${q}`);
      if (opts.output === 'json') printResult('json', { removed: { user: opts.user, role: opts.role, repository: opts.repository ?? null } });
      else console.log(`removed ${opts.role} from ${opts.user} ${opts.repository ? `on ${opts.repository}` : 'registry-wide'}`);
    });

  withConnection(role.command('builtins').description('the built-in roles and what they allow')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof RoleInfo>[]>(resolveConnection(opts), 'GET', '/api/v1/roles');
    printResult(opts.output, res.body, res.body.map((r) => ({ role: r.name, repository: r.repositoryActions.join(','), registry: r.registryActions.join(','), description: r.description })));
  });
}
