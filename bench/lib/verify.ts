/**
 * Sample checks: what the registry stored or served is what was sent, by digest.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { check } from './scenario.ts';
import type { RegistryClient } from './registry-client.ts';
import { pullScope } from './registry-client.ts';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** HEAD: 200, the announced size and Docker-Content-Digest. */
export async function verifyBlobHead(client: RegistryClient, d: Dispatcher, repo: string, digest: string, size: number): Promise<void> {
  const headers = await client.authHeaders([pullScope(repo)]);
  const res = await d.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, headers });
  await res.body.dump();
  check(res.statusCode === 200, `HEAD ${repo}@${digest}: status ${res.statusCode}`);
  check(Number(res.headers['content-length']) === size, `HEAD ${repo}@${digest}: content-length ${String(res.headers['content-length'])}, expected ${size}`);
  const got = res.headers['docker-content-digest'];
  check(got === undefined || got === digest, `HEAD ${repo}@${digest}: docker-content-digest ${String(got)}`);
}

/** GET and hash the whole blob as it streams. */
export async function verifyBlobGet(client: RegistryClient, d: Dispatcher, repo: string, digest: string, size: number): Promise<void> {
  const headers = await client.authHeaders([pullScope(repo)]);
  const res = await d.request({ method: 'GET', path: `/v2/${repo}/blobs/${digest}`, headers, maxRedirections: 0 } as Dispatcher.RequestOptions);
  check(res.statusCode === 200, `GET ${repo}@${digest}: status ${res.statusCode}`);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  check(bytes === size, `GET ${repo}@${digest}: ${bytes} bytes, expected ${size}`);
  check(`sha256:${hash.digest('hex')}` === digest, `GET ${repo}@${digest}: content does not match its digest`);
}

/** GET a manifest by tag or digest: its bytes hash to the expected digest. */
export async function verifyManifestGet(client: RegistryClient, d: Dispatcher, repo: string, reference: string, digest: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const headers = { ...(await client.authHeaders([pullScope(repo)])), accept: MANIFEST_ACCEPT, ...extraHeaders };
  const res = await d.request({ method: 'GET', path: `/v2/${repo}/manifests/${reference}`, headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  check(res.statusCode === 200, `GET ${repo}:${reference}: status ${res.statusCode} ${body.toString().slice(0, 200)}`);
  check(`sha256:${createHash('sha256').update(body).digest('hex')}` === digest, `GET ${repo}:${reference}: body does not hash to ${digest}`);
  const got = res.headers['docker-content-digest'];
  check(got === undefined || got === digest, `GET ${repo}:${reference}: docker-content-digest ${String(got)}`);
}
