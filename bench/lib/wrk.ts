/**
 * Small-request load with wrk (C, epoll): a generated Lua script sets the method and headers.
 * wrk 4.1 cannot do HEAD (it waits for the body the Content-Length announces), so HEAD goes
 * through raw-load.ts instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked } from './children.ts';

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Responses other than 2xx/3xx plus socket errors. */
  errors: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface WrkRun {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  threads?: number;
}

let scriptCounter = 0;

export async function runWrk(wrkPath: string, workDir: string, run: WrkRun): Promise<LoadResult> {
  mkdirSync(workDir, { recursive: true });
  const script = join(workDir, `wrk-${process.pid}-${++scriptCounter}.lua`);
  const lines = ['wrk.method = "GET"'];
  for (const [name, value] of Object.entries(run.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  writeFileSync(script, `${lines.join('\n')}\n`);
  const threads = run.threads ?? 1;
  const args = ['-t', String(threads), '-c', String(Math.max(run.connections, threads)), '-d', `${run.seconds}s`, '--timeout', '10s', '--latency', '-s', script, run.url];
  const child = spawnTracked(wrkPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${out.slice(0, 500)}`);
  return parseWrkOutput(out);
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrkOutput(out: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  if (!total) throw new Error(`cannot parse wrk output: ${out.slice(0, 500)}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((s, v) => s + Number(v), 0) : 0;
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : undefined;
  };
  return {
    requests: Number(total[1]),
    seconds: toMs(total[2]!, total[3]!) / 1000,
    errors: non2xx + socketErrors,
    p50Ms: pct('50'),
    p99Ms: pct('99'),
  };
}
