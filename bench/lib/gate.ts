/**
 * The quarantine policy and verdicts, through Lazaret's public APIs (the management API's
 * policies and the ACR manifest attributes), as an operator and a scanner would set them.
 */
import { RegistryClient, TokenAuth, forEachConcurrent } from './registry-client.ts';

async function send(client: RegistryClient, method: string, path: string, scopes: string[], body: unknown): Promise<void> {
  const attempt = async (scopeList: string[]) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (client.auth) {
      // The management API takes Basic credentials; the ACR API a bearer token for the repository.
      headers.authorization = path.startsWith('/api/') ? client.auth.basic : `Bearer ${await client.auth.token(scopeList)}`;
    }
    const res = await fetch(`${client.origin}${path}`, { method, headers, body: JSON.stringify(body) });
    return { res, text: await res.text() };
  };
  let { res, text } = await attempt(scopes);
  // Like a client would: ask again for the scope the challenge names.
  const challenged = /scope="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
  if (res.status === 401 && client.auth && challenged && !path.startsWith('/api/')) ({ res, text } = await attempt(challenged.split(' ')));
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
}

export async function setQuarantinePolicy(client: RegistryClient, enabled: boolean): Promise<void> {
  await send(client, 'PATCH', '/api/v1/policies', [], { quarantinePolicy: { status: enabled ? 'enabled' : 'disabled' } });
}

export const SCANNER_USER = 'bench-scanner';
const SCANNER_PASSWORD = 'bench-scanner-password';

/**
 * Marks the fixture's manifests Passed, as a scanner would: a user `bench-scanner` with the
 * AcrQuarantineWriter role (created through POST /api/v1/users) PATCHes
 * /acr/v1/<repo>/_manifests/<digest> with its own bearer token. The bench's reading principal
 * (admin, an Owner) keeps no quarantine read, so the gate really filters its reads. Falls back
 * to the admin's bulk release (POST /api/v1/quarantine/grandfather) when users cannot be
 * created. Returns how it released.
 */
export async function releaseManifests(client: RegistryClient, manifests: [string, string][]): Promise<string> {
  const details = JSON.stringify({ scanner: 'lazaret-bench', state: 'Scan Passed', result: { version: '1', summary: [] } });
  let scanner: RegistryClient;
  try {
    await send(client, 'POST', '/api/v1/users', [], { name: SCANNER_USER, password: SCANNER_PASSWORD, roles: [{ role: 'AcrQuarantineWriter' }] });
    scanner = new RegistryClient(client.origin, new TokenAuth(client.auth!.realm, client.auth!.service, SCANNER_USER, SCANNER_PASSWORD));
  } catch (err) {
    await send(client, 'POST', '/api/v1/quarantine/grandfather', [], {});
    return `POST /api/v1/quarantine/grandfather (no scanner user: ${(err as Error).message.slice(0, 160)})`;
  }
  await forEachConcurrent(manifests, 16, ([repo, digest]) =>
    send(scanner, 'PATCH', `/acr/v1/${repo}/_manifests/${digest}`, [`repository:${repo}:pull,push`], { quarantineState: 'Passed', quarantineDetails: details }));
  return `PATCH /acr/v1/<repo>/_manifests/<digest> by ${SCANNER_USER} (AcrQuarantineWriter), one per manifest`;
}
