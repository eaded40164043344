/**
 * `lazaret login REGISTRY -u USER -p PASS | --password-stdin` and `lazaret logout [REGISTRY]`.
 *
 * The credential is checked against the registry (GET /v2/ with Basic auth) and stored in
 * `$LAZARET_CONFIG_HOME/credentials.json` (default `$XDG_CONFIG_HOME/lazaret` or
 * `~/.config/lazaret`), mode 0600, keyed by registry URL; the last login becomes the default
 * registry. Admin commands then find it through `setStoredCredentialLookup` (api-client.ts):
 * explicit flags and LAZARET_* variables still win.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { WhoAmI } from '../../management-api/identity-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, setStoredCredentialLookup, withConnection, type Connection } from '../api-client.ts';

interface CredentialFile {
  default?: string;
  registries: Record<string, { username: string; password: string }>;
}

export function configHome(env = process.env): string {
  if (env.LAZARET_CONFIG_HOME) return env.LAZARET_CONFIG_HOME;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'lazaret');
}

const credentialPath = () => join(configHome(), 'credentials.json');

export const normalizeRegistry = (registry: string) => (/^https?:\/\//.test(registry) ? registry : `http://${registry}`).replace(/\/+$/, '');

function readCredentials(): CredentialFile {
  const file = credentialPath();
  if (!existsSync(file)) return { registries: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CredentialFile;
    return { default: parsed.default, registries: parsed.registries ?? {} };
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function writeCredentials(creds: CredentialFile) {
  mkdirSync(configHome(), { recursive: true, mode: 0o700 });
  const file = credentialPath();
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function storedCredential(registry: string | undefined): Connection | undefined {
  let creds: CredentialFile;
  try {
    creds = readCredentials();
  } catch {
    return undefined;
  }
  const key = registry ? normalizeRegistry(registry) : creds.default;
  if (!key) return undefined;
  const c = creds.registries[key];
  return c ? { registry: key, username: c.username, password: c.password } : registry ? undefined : { registry: key };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** For commands that take a password: --password, --password-stdin, or undefined (generate). */
export async function passwordFrom(opts: { newPassword?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (opts.passwordStdin) {
    const p = await readStdin();
    if (!p) throw new CliError('no password on standard input');
    return p;
  }
  return opts.newPassword;
}

export function registerLogin(program: Command) {
  setStoredCredentialLookup(storedCredential);

  program
    .command('login <registry>')
    .description('check and store credentials for a registry (used by later commands)')
    .option('-u, --username <user>', 'user or token name (env LAZARET_USERNAME)')
    .option('-p, --password <password>', 'password (env LAZARET_PASSWORD); prefer --password-stdin')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (registry: string, opts: { username?: string; password?: string; passwordStdin?: boolean }) => {
      const password = opts.passwordStdin ? await passwordFrom({ passwordStdin: true }) : opts.password ?? process.env.LAZARET_PASSWORD;
      const username = opts.username ?? process.env.LAZARET_USERNAME;
      if (!username) throw new CliError('login needs -u USER');
      if (password === undefined) throw new CliError('login needs -p PASSWORD or --password-stdin');
      if (opts.password !== undefined) console.error('WARNING! Using --password on the command line is insecure (shell history, process list). Use --password-stdin.');
      const conn = resolveConnection({ registry: normalizeRegistry(registry), username, password }, {});
      try {
        await callApi(conn, 'GET', '/v2/');
      } catch (err) {
        throw new CliError(`login to ${conn.registry} failed: ${(err as Error).message}`);
      }
      const creds = readCredentials();
      creds.registries[conn.registry] = { username, password };
      creds.default = conn.registry;
      writeCredentials(creds);
      console.log(`Login Succeeded (${username} at ${conn.registry}; stored in ${credentialPath()})`);
    });

  withConnection(program.command('whoami').description('who the registry says you are, with your roles')).action(async (opts: { registry?: string; username?: string; password?: string; output?: string }) => {
    const res = await callApi<Static<typeof WhoAmI>>(resolveConnection(opts), 'GET', '/api/v1/whoami');
    const b = res.body;
    // Columns named for what they hold: `registry` listed registry-wide ACTIONS, not registries.
    printResult(opts.output, b, [{ name: b.name, kind: b.kind, roles: b.roles.map((r) => (r.repository ? `${r.role}@${r.repository}` : r.role)).join(', '), 'registry-wide actions': b.registry.join(',') }]);
  });

  program
    .command('logout [registry]')
    .description('forget the stored credentials (of the default registry when none is named)')
    .action((registry?: string) => {
      const creds = readCredentials();
      const key = registry ? normalizeRegistry(registry) : creds.default;
      if (!key || !creds.registries[key]) throw new CliError(`not logged in to ${key ?? 'any registry'}`);
      delete creds.registries[key];
      if (creds.default === key) delete creds.default;
      writeCredentials(creds);
      console.log(`Removed credentials for ${key}`);
    });
}
