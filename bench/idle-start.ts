/**
 * Idle RSS and cold start of the compiled build (not part of `npm run bench`):
 * `node --import tsx bench/idle-start.ts [--runs 3] [--modules]`.
 *
 * The method of bench/README.md "Idle RSS" and "Cold start": `lazaret serve`, one process,
 * built-in scanner off, SQLite and the filesystem, `MALLOC_ARENA_MAX=2`, no configuration file.
 * Each run starts a fresh data directory once (the first start creates the database and keys)
 * and measures the second start: wall time and the server's CPU time (utime+stime) from spawn
 * to the first answered `GET /v2/`, then RSS 3 s after that answer. `--modules` also prints
 * the files the server loaded (through a module hook; it costs memory, so read RSS without it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/children.ts';
import { loadAverages } from './lib/proc-stats.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
const listModules = args.includes('--modules');
const ticks = 100; // USER_HZ on Linux

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / ticks) * 1000;
}

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(VmRSS|RssAnon|RssFile):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Math.round(Number(m[2]) / 102.4) / 10;
  }
  return out;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Spawns the server and polls GET /v2/ every 5 ms until it answers 200. */
async function start(dataDir: string, port: number, hook?: string): Promise<{ child: ChildProcess; wallMs: number; cpuMs: number }> {
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LAZARET_DATA_DIR: dataDir,
    LAZARET_LISTEN: `127.0.0.1:${port}`,
    LAZARET_LOG_LEVEL: 'warn',
    LAZARET_AUTH_MODE: 'none',
    LAZARET_WORKERS: '1',
    LAZARET_SCANNER_BUILTIN: 'false',
    MALLOC_ARENA_MAX: '2',
  };
  for (const name of ['LAZARET_CONFIG', 'LAZARET_DATABASE_URL', 'NODE_OPTIONS']) delete env[name as keyof typeof env];
  const nodeArgs = hook ? ['--import', hook] : [];
  const began = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'bin/lazaret.js'), 'serve'], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return { child, wallMs: performance.now() - began, cpuMs: cpuMs(child.pid!) };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const HOOK = `
import { register } from 'node:module';
import Module from 'node:module';
import { appendFileSync } from 'node:fs';
const out = process.env.LAZARET_BENCH_MODULES;
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { if (!url.startsWith('node:')) appendFileSync(\${JSON.stringify(out)}, url + '\\\\n'); return next(url, context); }\`));
const original = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = original.apply(this, arguments);
  try { const file = Module._resolveFilename(request, parent, isMain); if (file.startsWith('/')) appendFileSync(out, 'file://' + file + '\\n'); } catch {}
  return loaded;
};
`;

console.log(`idle-start: ${runs} run(s), load ${loadAverages()}`);
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-idle-'));
  try {
    const port = await freePort();
    const first = await start(dataDir, port);
    await stop(first.child);
    let hook: string | undefined;
    const modulesFile = join(dataDir, 'modules.txt');
    if (listModules) {
      hook = join(dataDir, 'hook.mjs');
      writeFileSync(hook, HOOK);
      process.env.LAZARET_BENCH_MODULES = modulesFile;
    }
    const second = await start(dataDir, port, hook);
    await new Promise((r) => setTimeout(r, 3000));
    const s = status(second.child.pid!);
    console.log(`run ${i + 1}: wall ${Math.round(second.wallMs)} ms, cpu ${Math.round(second.cpuMs)} ms to the first answer; 3 s later RSS ${s.VmRSS} MiB (anon ${s.RssAnon}, file ${s.RssFile})`);
    await stop(second.child);
    if (listModules) {
      const files = [...new Set(readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean))];
      for (const f of files) console.log(`  ${f.replace(`file://${repoRoot}/`, '')}`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
console.log(`load after: ${loadAverages()}`);
