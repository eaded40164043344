/**
 * Child processes of the benchmark (registries, wrk) and their cleanup. Every child is
 * registered here so that an error, SIGINT or SIGTERM never leaves a registry running.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const live = new Set<ChildProcess>();
/** Temp dirs to remove when the bench is interrupted (normal runs remove them themselves). */
const dirs = new Set<string>();
let stopping = false;

export function trackDir(path: string): void {
  dirs.add(path);
}
export function untrackDir(path: string): void {
  dirs.delete(path);
}
/** True once a signal asked the bench to stop: the main loop stops starting runs. */
export function isStopping(): boolean {
  return stopping;
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops a child gently (SIGINT lets node write its --cpu-prof profile), then forcefully. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c)));
}

let installed = false;
/** Kills whatever is left, synchronously; used on exit paths where awaiting is impossible. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\nbench: ${signal}, stopping the registries and removing their data`);
      void stopAll()
        .then(() => Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true }))))
        .finally(() => process.exit(130));
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls url until it answers with one of the given statuses. */
export async function waitForHttp(url: string, ok: number[], child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (ok.includes(res.status)) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not become ready in ${timeoutMs} ms (${last})`);
}

/**
 * Installs wrk and Debian's docker-registry (CNCF Distribution) when they are missing, so
 * `npm run bench` works on a fresh machine. Needs root (as the project's machines are).
 */
export function ensureTools(): { wrk: string; distribution: string } {
  const wrk = '/usr/bin/wrk';
  const distribution = '/usr/bin/docker-registry';
  const missing = [
    ...(existsSync(wrk) ? [] : ['wrk']),
    ...(existsSync(distribution) ? [] : ['docker-registry']),
  ];
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) throw new Error(`missing ${missing.join(', ')}: run as root or apt-get install -y ${missing.join(' ')}`);
    console.log(`bench: installing ${missing.join(', ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
    // Debian starts the packaged registry as a service on :5000; the bench runs its own.
    spawnSync('systemctl', ['disable', '--now', 'docker-registry'], { stdio: 'ignore' });
  }
  return { wrk, distribution };
}
