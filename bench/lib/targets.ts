/**
 * The registries under test: CNCF Distribution (Debian's docker-registry) and Lazaret, each
 * with its own temp data dir on loopback. Lazaret "variants" (token auth, the quarantine
 * gate) share one auth-on instance and differ only in the policy set before each run.
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
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

export async function startDistribution(binary: string): Promise<Instance> {
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
    '  filesystem:',
    `    rootdirectory: ${join(dataDir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: lazaret-bench-secret',
    '',
  ].join('\n'));
  const child = spawnTracked(binary, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
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
}

export async function startLazaret(repoRoot: string, options: LazaretStart): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), `lazaret-bench-lazaret${options.auth ? '-auth' : ''}-`));
  trackDir(dataDir);
  const port = await freePort();
  const nodeArgs: string[] = [];
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
  const child = spawnTracked(process.execPath, [...nodeArgs, join(repoRoot, 'bin/lazaret.js'), 'serve'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = captureLog(child);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${origin}/v2/`, options.auth ? [401] : [200], child);
  } catch (err) {
    await stopChild(child, 2000);
    throw new Error(`Lazaret (auth ${options.auth ? 'token' : 'none'}) did not start: ${(err as Error).message}\n${log().slice(-3000)}`);
  }
  const auth = options.auth ? await discoverAuth(origin, options.adminUser, options.adminPassword) : undefined;
  const profiler = inspectPort ? await InspectorProfiler.connect(inspectPort) : undefined;
  return { kind: 'lazaret', origin, host: '127.0.0.1', port, child, pid: child.pid!, dataDir, client: new RegistryClient(origin, auth), log, profiler };
}

export async function stopInstance(instance: Instance, keep: boolean): Promise<void> {
  instance.profiler?.close();
  await stopChild(instance.child);
  // Asynchronous: Distribution leaves tens of thousands of small files, and a synchronous
  // removal would block this process (and its SIGINT handling) for a minute on a busy disk.
  if (!keep) await rm(instance.dataDir, { recursive: true, force: true });
  untrackDir(instance.dataDir);
}
