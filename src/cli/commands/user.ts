/** `lazaret user create|list|delete|set-password` (Owner only; /api/v1/users). */
import type { Command } from 'commander';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import { passwordFrom } from './login.ts';
import type { Static } from 'typebox';
import type { CreatedUser, PasswordSet, User } from '../../management-api/identity-schemas.ts';

type Opts = ConnectionOptions & { output?: string };
/** The server's wire types (docs/architecture.md "Wire types"): a change of shape fails this check. */
type UserJson = Static<typeof User>;

const rolesText = (roles: UserJson['roles']) => roles.map((r) => (r.repository ? `${r.role}@${r.repository}` : r.role)).join(', ');

/** `ROLE` or `ROLE@PATTERN`. */
export function parseRoleSpec(spec: string): { role: string; repository?: string } {
  const at = spec.indexOf('@');
  return at === -1 ? { role: spec } : { role: spec.slice(0, at), repository: spec.slice(at + 1) };
}

export function registerUser(program: Command) {
  const user = program.command('user').description('users (Owner only)');

  withConnection(user.command('create <name>').description('create a user; without a password one is generated and printed once'))
    .option('--new-password <password>', 'the new user\'s password (at least 8 characters)')
    .option('--password-stdin', 'read the new user\'s password from standard input')
    .option('--role <role...>', 'assign roles: ROLE or ROLE@PATTERN, e.g. AcrPull AcrPush@team-a/*')
    .action(async (name: string, opts: Opts & { newPassword?: string; passwordStdin?: boolean; role?: string[] }) => {
      const password = await passwordFrom(opts);
      const body = { name, ...(password ? { password } : {}), roles: (opts.role ?? []).map(parseRoleSpec) };
      const res = await callApi<Static<typeof CreatedUser>>(resolveConnection(opts), 'POST', '/api/v1/users', body);
      if (opts.output === 'json') return printResult('json', res.body);
      console.log(`created user ${res.body.name}${res.body.roles.length ? ` (${rolesText(res.body.roles)})` : ''}`);
      if (res.body.password) console.log(`password (shown once): ${res.body.password}`);
    });

  withConnection(user.command('list').description('list users and their roles')).action(async (opts: Opts) => {
    const res = await callApi<UserJson[]>(resolveConnection(opts), 'GET', '/api/v1/users');
    printResult(opts.output, res.body, res.body.map((u) => ({ name: u.name, roles: rolesText(u.roles), created: u.createdAt })));
  });

  withConnection(user.command('delete <name>').description('delete a user and its role assignments')).action(async (name: string, opts: Opts) => {
    await callApi(resolveConnection(opts), 'DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
    if (opts.output === 'json') printResult('json', { deleted: name });
    else console.log(`deleted user ${name}`);
  });

  withConnection(user.command('set-password <name>').description('set a user\'s password; without one, a password is generated and printed once'))
    .option('--new-password <password>', 'the new password')
    .option('--password-stdin', 'read the new password from standard input')
    .action(async (name: string, opts: Opts & { newPassword?: string; passwordStdin?: boolean }) => {
      const password = await passwordFrom(opts);
      if (password !== undefined && password.length < 8) throw new CliError('the password must have at least 8 characters');
      const res = await callApi<Static<typeof PasswordSet>>(resolveConnection(opts), 'PUT', `/api/v1/users/${encodeURIComponent(name)}/password`, password ? { password } : {});
      if (opts.output === 'json') return printResult('json', res.body);
      console.log(`password of ${name} changed`);
      if (res.body.password) console.log(`password (shown once): ${res.body.password}`);
    });
}
