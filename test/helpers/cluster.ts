/**
 * Three `lazaret serve` processes on one PostgreSQL schema and one s3rver bucket behind a real
 * HAProxy started with the example of docs/scale-out.md (only the addresses replaced), in token
 * mode with the balancer's URL as `baseUrl`. HAProxy names the node that answered in
 * X-Lazaret-Node. test/cluster-haproxy.test.ts starts one for all its balancer-targeted cases
 * (its own, the leak matrix and the conformance suites): starting three nodes is the slow part.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { openMetadataStore, type MetadataStore } from '../../src/persistence/index.ts';
import { dropTestSchema, TEST_DATABASE_URL } from './environment.ts';
import { freePort } from './free-port.ts';
import { basicAuth } from './identities.ts';
import { createTestBucket, type TestBucket } from './s3-server.ts';
import { spawnServer, type SpawnedServer } from './spawn-server.ts';
import type { RegistryTarget } from './target.ts';

const DOCS = new URL('../../docs/scale-out.md', import.meta.url);
export const CLUSTER_ADMIN = { user: 'admin', password: 'cluster-admin-password' };

/** The HAProxy example of docs/scale-out.md with local addresses. */
export function haproxyConfigFromDocs(bind: string, servers: string[]): string {
  const block = /```haproxy\n([\s\S]*?)```/.exec(readFileSync(DOCS, 'utf8'))?.[1];
  if (!block) throw new Error('docs/scale-out.md has no ```haproxy example');
  let n = 0;
  const config = block
    .replace(/^(\s*bind)\s.*$/m, `$1 ${bind}`)
    .replace(/^(\s*server\s+\S+)\s+\S+/gm, (_m, head: string) => `${head} ${servers[n++]}`);
  if (n !== servers.length) throw new Error(`the example has ${n} servers, the test runs ${servers.length}`);
  return config;
}

export interface ClusterResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The node that answered (HAProxy's X-Lazaret-Node), for requests through the balancer. */
  node: string | undefined;
  json(): any;
}

export interface Cluster {
  /** The balancer's URL (also every node's baseUrl) and host (the token `service`). */
  lb: string;
  host: string;
  nodes: SpawnedServer[];
  bucket: TestBucket;
  /** The PostgreSQL schema the nodes share, and its URL. */
  schema: string;
  databaseUrl: string;
  work: string;
  /** Everything HAProxy logged (server state changes). */
  haproxyLog(): string;
  /** A request through the balancer (or to `base`), with the node that answered. */
  call(method: string, path: string, options?: { auth?: string; body?: Buffer | string; headers?: Record<string, string>; base?: string }): Promise<ClusterResponse>;
  /** The balancer as a RegistryTarget (for the suites that run on one node and on the cluster). */
  target(): RegistryTarget;
  close(): Promise<void>;
}

export async function startCluster(extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const schema = `cluster_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  // Lowercase (podman names an oci: layout under it after its path; image names are lowercase).
  const work = join(tmpdir(), `lazaret-cluster-${randomBytes(6).toString('hex')}`);
  mkdirSync(work, { mode: 0o700 });
  const bucket = await createTestBucket();
  const ports = [await freePort(), await freePort(), await freePort()];
  const lbPort = await freePort();
  const lb = `http://127.0.0.1:${lbPort}`;
  const host = `127.0.0.1:${lbPort}`;
  const env = (port: number) => ({
    LAZARET_LISTEN: `127.0.0.1:${port}`,
    LAZARET_BASE_URL: lb,
    LAZARET_DATABASE_URL: databaseUrl,
    LAZARET_DATA_DIR: join(work, `node-${port}`),
    LAZARET_ADMIN_PASSWORD: CLUSTER_ADMIN.password,
    // info: spawnServer waits for the "listening" line, logged at info.
    LAZARET_LOG_LEVEL: 'info',
    LAZARET_STORAGE_DRIVER: 's3',
    LAZARET_STORAGE_S3_BUCKET: bucket.settings.bucket,
    LAZARET_STORAGE_S3_ENDPOINT: bucket.settings.endpoint,
    LAZARET_STORAGE_S3_FORCE_PATH_STYLE: 'true',
    LAZARET_STORAGE_S3_ACCESS_KEY_ID: bucket.settings.accessKeyId,
    LAZARET_STORAGE_S3_SECRET_ACCESS_KEY: bucket.settings.secretAccessKey,
    ...extraEnv,
  });
  const nodes: SpawnedServer[] = [];
  let haproxy: ChildProcess | undefined;
  let log = '';
  let store: MetadataStore | undefined;

  async function call(method: string, path: string, options: { auth?: string; body?: Buffer | string; headers?: Record<string, string>; base?: string } = {}): Promise<ClusterResponse> {
    const res = await request(`${options.base ?? lb}${path}`, {
      method: method as 'GET',
      headers: { ...(options.auth ? { authorization: options.auth } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body, node: res.headers['x-lazaret-node'] as string | undefined, json: () => JSON.parse(body.toString()) };
  }

  async function close() {
    haproxy?.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.kill()));
    await store?.close();
    await bucket.destroy();
    await dropTestSchema(schema);
    rmSync(work, { recursive: true, force: true });
  }

  try {
    // The first migrates the schema and creates the admin; the other two start together.
    nodes.push(await spawnServer(env(ports[0]!), 90_000));
    nodes.push(...(await Promise.all([spawnServer(env(ports[1]!), 90_000), spawnServer(env(ports[2]!), 90_000)])));
    const cfg = join(work, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfigFromDocs(`127.0.0.1:${lbPort}`, ports.map((p) => `127.0.0.1:${p}`)));
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (c: Buffer) => (log += c));
    haproxy.stderr!.on('data', (c: Buffer) => (log += c));
    // Ready once the balancer has answered from every node.
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (seen.size < 3) {
      if (Date.now() > deadline) throw new Error(`HAProxy did not reach all nodes (saw ${[...seen]}):\n${log}`);
      const r = await call('GET', '/healthz').catch(() => undefined);
      if (r?.status === 200 && r.node) seen.add(r.node);
      else await new Promise((res) => setTimeout(res, 200));
    }
    // The suites' setup writes what an operator's tools would (users, scope maps, verdicts)
    // straight to the database every node reads, as they do on one node's store.
    store = await openMetadataStore({ databaseUrl }, work);
  } catch (err) {
    await close();
    throw err;
  }
  const opened = store;

  return {
    lb,
    host,
    nodes,
    bucket,
    schema,
    databaseUrl,
    work,
    haproxyLog: () => log,
    call,
    target: () => ({ label: 'three nodes behind HAProxy', url: lb, service: host, admin: CLUSTER_ADMIN, store: opened }),
    close,
  };
}

/** A bearer token for `scope`, asked through the balancer. */
export async function clusterBearer(cluster: Cluster, who: { user: string; password: string }, scope: string): Promise<string> {
  const res = await cluster.call('GET', `/oauth2/token?service=${encodeURIComponent(cluster.host)}&scope=${encodeURIComponent(scope)}`, { auth: basicAuth(who.user, who.password) });
  assert.equal(res.status, 200, res.body.toString());
  return `Bearer ${res.json().access_token}`;
}
