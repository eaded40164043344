/**
 * The quarantine policy and verdicts, through Lazaret's public APIs (the management API's
 * policies and the ACR manifest attributes), as an operator and a scanner would set them.
 */
import { forEachConcurrent, type RegistryClient } from './registry-client.ts';

async function send(client: RegistryClient, method: string, path: string, scopes: string[], body: unknown): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (client.auth) {
    // The management API takes Basic credentials; the ACR API a bearer token for the repository.
    headers.authorization = path.startsWith('/api/') ? client.auth.basic : `Bearer ${await client.auth.token(scopes)}`;
  }
  const res = await fetch(`${client.origin}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
}

export async function setQuarantinePolicy(client: RegistryClient, enabled: boolean): Promise<void> {
  await send(client, 'PATCH', '/api/v1/policies', [], { quarantinePolicy: { status: enabled ? 'enabled' : 'disabled' } });
}

export async function releaseManifests(client: RegistryClient, manifests: [string, string][]): Promise<void> {
  const details = JSON.stringify({ scanner: 'lazaret-bench', state: 'Scan Passed', result: { version: '1', summary: [] } });
  await forEachConcurrent(manifests, 16, ([repo, digest]) =>
    send(client, 'PATCH', `/acr/v1/${repo}/_manifests/${digest}`, [`repository:${repo}:pull,push`], { quarantineState: 'Passed', quarantineDetails: details }));
}
