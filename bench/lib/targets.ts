/**
 * The registries under test: CNCF Distribution (Debian's docker-registry) and Lazaret, each
 * with its own temp data dir on loopback. Lazaret "variants" (token auth, the quarantine
 * gate) share one auth-on instance and differ only in the policy set before each run.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, freePort, waitForHttp, stopChild, trackDir, untrackDir } from './children.ts';
import { RegistryClient, discoverAuth } from './registry-client.ts';
import { InspectorProfiler } from './inspector-profiler.ts';

export interface Instance {
  kind: 'distribution' | 'lazaret';
  origin: string;
  host: string;
  port: number;
  child: ChildProcess;
  pid: number;
  /** Every root process when the target is several (a cluster's nodes and its balancer). */
  pids?: number[];
  /** Further processes to stop with the target (a cluster's other nodes, the balancer). */
  others?: ChildProcess[];
  dataDir: string;
  client: RegistryClient;
  log: () => string;
  /** With --profile: per-run CPU profiles through the inspector. */
  profiler?: InspectorProfiler;
}

/** One column of the results: an instance plus the state it is measured in. */
export interface Target {
  label: string;
  instance: Instance;
  /** Quarantine policy state to set before each run (undefined: leave as is). */
  gate?: boolean;
  /** Base targets run every scenario; variants only the small-request ones. */
  variant: boolean;
}

function captureLog(child: ChildProcess): () => string {
  let text = '';
  const keep = (c: Buffer) => {
    text = (text + c.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/** An S3 bucket for a registry under test (bench/lib/s3.ts). */
export interface BenchBucket {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export async function startDistribution(binary: string, s3?: BenchBucket): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-bench-distribution-'));
  trackDir(dataDir);
  const port = await freePort();
  const config = join(dataDir, 'config.yml');
  mkdirSync(join(dataDir, 'storage'));
  // Settings equivalent to Lazaret's defaults: filesystem storage, deletes allowed, an
  // in-memory blob descriptor cache (Debian's default config has it too), no access log.
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    ...(s3
      ? [
          // Distribution's s3 driver; with regionendpoint set it uses path-style URLs.
          '  s3:',
          `    accesskey: ${s3.accessKeyId}`,
          `    secretkey: ${s3.secretAccessKey}`,
          '    region: us-east-1',
          `    regionendpoint: ${s3.endpoint}`,
          `    bucket: ${s3.bucket}`,
          '    secure: false',
          '    v4auth: true',
          '    chunksize: 8388608',
          '  redirect:',
          '    disable: true',
        ]
      : ['  filesystem:', `    rootdirectory: ${join(dataDir, 'storage')}`]),
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: lazaret-bench-secret',
    '',
  ].join('\n'));
  // AWS_CA_BUNDLE (set on some machines for an HTTPS proxy) makes Distribution's S3 client
  // panic at start ("unsupported transport"); the local S3 server is plain HTTP on loopback.
  const { AWS_CA_BUNDLE: _unused, ...env } = process.env;
  const child = spawnTracked(binary, ['serve', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = captureLog(child);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${origin}/v2/`, [200], child);
  } catch (err) {
    throw new Error(`Distribution did not start: ${(err as Error).message}\n${log()}`);
  }
  return { kind: 'distribution', origin, host: '127.0.0.1', port, child, pid: child.pid!, dataDir, client: new RegistryClient(origin), log };
}

export interface LazaretStart {
  auth: boolean;
  profileDir?: string;
  adminUser: string;
  adminPassword: string;
  /** `serve --workers N` (default 1: one process, as the single-node columns always were). */
  workers?: number;
  /** The S3 driver on this bucket instead of the filesystem. */
  s3?: BenchBucket;
  /** PostgreSQL instead of SQLite (a cluster's nodes share it). */
  databaseUrl?: string;
  /** A fixed port and public URL (a cluster's node behind its balancer). */
  port?: number;
  baseUrl?: string;
  label?: string;
  /** Extra flags for Lazaret's node (bench/memory-probe.ts tries V8 and heap settings with it). */
  nodeArgs?: string[];
  /** Extra environment for Lazaret (set last: it wins over the bench's defaults). */
  env?: Record<string, string>;
}

export async function startLazaret(repoRoot: string, options: LazaretStart): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), `lazaret-bench-lazaret${options.auth ? '-auth' : ''}-`));
  trackDir(dataDir);
  const port = options.port ?? (await freePort());
  const nodeArgs: string[] = [...(options.nodeArgs ?? [])];
  let inspectPort: number | undefined;
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    inspectPort = await freePort();
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${resolve(options.profileDir)}`, `--cpu-prof-name=lazaret${options.auth ? '-auth' : ''}-whole-process.cpuprofile`, `--inspect=127.0.0.1:${inspectPort}`);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LAZARET_DATA_DIR: dataDir,
    LAZARET_LISTEN: `127.0.0.1:${port}`,
    LAZARET_LOG_LEVEL: 'warn',
    LAZARET_AUTH_MODE: options.auth ? 'token' : 'none',
    LAZARET_ACCESS_TOKEN_TTL: '3600',
    // As README "Operations" recommends: with 16 thread-pool threads glibc keeps up to 16
    // malloc arenas, ~130 MiB more RSS on the auth-on instance (measured 06:12 UTC); 2 arenas
    // cost no measured throughput. An operator's own setting wins.
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  };
  if (options.auth) env.LAZARET_ADMIN_PASSWORD = options.adminPassword;
  for (const name of ['LAZARET_CONFIG', 'LAZARET_DATABASE_URL', 'LAZARET_BASE_URL', 'LAZARET_SERVICE']) delete env[name];
  env.LAZARET_WORKERS = String(options.workers ?? 1);
  env.LAZARET_SCANNER_BUILTIN = 'false';
  Object.assign(env, options.env ?? {});
  if (options.databaseUrl) env.LAZARET_DATABASE_URL = options.databaseUrl;
  if (options.baseUrl) env.LAZARET_BASE_URL = options.baseUrl;
  if (options.s3) {
    Object.assign(env, {
      LAZARET_STORAGE_DRIVER: 's3',
      LAZARET_STORAGE_S3_BUCKET: options.s3.bucket,
      LAZARET_STORAGE_S3_ENDPOINT: options.s3.endpoint,
      LAZARET_STORAGE_S3_FORCE_PATH_STYLE: 'true',
      LAZARET_STORAGE_S3_ACCESS_KEY_ID: options.s3.accessKeyId,
      LAZARET_STORAGE_S3_SECRET_ACCESS_KEY: options.s3.secretAccessKey,
    });
  }
  const child = spawnTracked(process.execPath, [...nodeArgs, join(repoRoot, 'bin/lazaret.js'), 'serve'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = captureLog(child);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${origin}/v2/`, options.auth ? [401] : [200], child, 120_000);
    // With workers, the port answers once worker 1 listens; wait until every worker answers.
    if ((options.workers ?? 1) > 1 && !options.auth) await waitForWorkers(origin, options.workers!, child);
  } catch (err) {
    await stopChild(child, 2000);
    throw new Error(`Lazaret (auth ${options.auth ? 'token' : 'none'}) did not start: ${(err as Error).message}\n${log().slice(-3000)}`);
  }
  const auth = options.auth ? await discoverAuth(origin, options.adminUser, options.adminPassword) : undefined;
  const profiler = inspectPort ? await InspectorProfiler.connect(inspectPort) : undefined;
  return { kind: 'lazaret', origin, host: '127.0.0.1', port, child, pid: child.pid!, dataDir, client: new RegistryClient(origin, auth), log, profiler };
}

/** Asks GET /api/v1/status on fresh connections until `n` distinct workers have answered. */
async function waitForWorkers(origin: string, n: number, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const seen = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  while (seen.size < n) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`only workers ${[...seen].join(', ')} of ${n} answered`);
    try {
      const res = await fetch(`${origin}/api/v1/status`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) });
      const worker = ((await res.json()) as { process?: { worker?: number } }).process?.worker;
      if (typeof worker === 'number') seen.add(worker);
    } catch {
      // not up yet
    }
    if (seen.size < n) await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `--nodes N`: N Lazaret nodes on one PostgreSQL schema and one bucket behind HAProxy, configured
 * with docs/scale-out.md's example (as the cluster test does), the balancer's URL as baseUrl.
 * The Instance is the balancer; CPU and memory count every node and the balancer.
 */
export async function startLazaretCluster(repoRoot: string, options: LazaretStart & { nodes: number; databaseUrl: string; s3: BenchBucket }): Promise<Instance> {
  const lbPort = await freePort();
  const origin = `http://127.0.0.1:${lbPort}`;
  const ports: number[] = [];
  for (let i = 0; i < options.nodes; i++) ports.push(await freePort());
  const nodes: Instance[] = [];
  // The first migrates the schema; the others start together after it.
  nodes.push(await startLazaret(repoRoot, { ...options, port: ports[0]!, baseUrl: origin }));
  nodes.push(...(await Promise.all(ports.slice(1).map((port) => startLazaret(repoRoot, { ...options, port, baseUrl: origin })))));
  const config = join(nodes[0]!.dataDir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(repoRoot, `127.0.0.1:${lbPort}`, ports.map((p) => `127.0.0.1:${p}`)));
  const haproxy = spawnTracked('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = captureLog(haproxy);
  await waitForHttp(`${origin}/v2/`, options.auth ? [401] : [200], haproxy);
  const auth = options.auth ? await discoverAuth(origin, options.adminUser, options.adminPassword) : undefined;
  const first = nodes[0]!;
  return {
    kind: 'lazaret',
    origin,
    host: '127.0.0.1',
    port: lbPort,
    child: first.child,
    pid: first.pid,
    pids: [...nodes.map((n) => n.pid), haproxy.pid!],
    others: [...nodes.slice(1).map((n) => n.child), haproxy],
    dataDir: first.dataDir,
    client: new RegistryClient(origin, auth),
    log: () => `${log()}\n${nodes.map((n) => n.log()).join('\n')}`,
  };
}

/** docs/scale-out.md's HAProxy example with local addresses. */
function haproxyConfig(repoRoot: string, bind: string, servers: string[]): string {
  const block = /```haproxy\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, 'docs/scale-out.md'), 'utf8'))?.[1];
  if (!block) throw new Error('docs/scale-out.md has no haproxy example');
  let n = 0;
  const config = block.replace(/^(\s*bind)\s.*$/m, `$1 ${bind}`).replace(/^(\s*server\s+\S+)\s+\S+/gm, (_m, head: string) => `${head} ${servers[n++]}`);
  // The example names three servers; a bench with other counts adds or drops lines.
  const lines = config.split('\n').filter((l) => !/^\s*server\s/.test(l) || Number(/server\s+n(\d+)/.exec(l)?.[1]) <= servers.length);
  for (let i = n; i < servers.length; i++) lines.push(`    server n${i + 1} ${servers[i]}`);
  return `${lines.join('\n')}\n`;
}

export async function stopInstance(instance: Instance, keep: boolean): Promise<void> {
  instance.profiler?.close();
  await Promise.all((instance.others ?? []).map((c) => stopChild(c)));
  await stopChild(instance.child);
  // Asynchronous: Distribution leaves tens of thousands of small files, and a synchronous
  // removal would block this process (and its SIGINT handling) for a minute on a busy disk.
  if (!keep) await rm(instance.dataDir, { recursive: true, force: true });
  untrackDir(instance.dataDir);
}
