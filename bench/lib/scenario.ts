/**
 * What a scenario is, and the timed-lanes loop the undici-driven scenarios share.
 */
import type { FileBlob } from './data.ts';
import type { FixtureData } from './fixture.ts';
import type { Target } from './targets.ts';

export interface BenchData {
  fixture: FixtureData;
  /** Distinct 64 MiB files for the monolithic push (the first is also the pulled blob). */
  bigFiles: FileBlob[];
  /** The 256 MiB file of the chunked push. */
  chunkFile: FileBlob;
}

export interface Context {
  target: Target;
  seconds: number;
  wrkPath: string;
  workDir: string;
  data: BenchData;
  /** A string unique to this run, for tags and blob contents. */
  runId: string;
  /** With --profile: where per-run .cpuprofile files go. */
  profileDir?: string;
}

export interface Outcome {
  ops: number;
  bytes?: number;
  seconds: number;
  errors: number;
  firstError?: string;
  p50Ms?: number;
  p99Ms?: number;
}

export interface Prepared {
  /** The timed part. */
  run(): Promise<Outcome>;
  /** Checks a sample of what was written or read; returns how many items it verified. Throws on a mismatch. */
  verify(): Promise<number>;
  close?(): Promise<void>;
}

export type Unit = 'MB/s' | 'ops/s' | 'req/s';

export interface Scenario {
  id: string;
  group: number;
  title: string;
  unit: Unit;
  /** Runs on the auth/gate variants too (the small-request scenarios of group 7). */
  onVariants: boolean;
  /** Needs a token service: runs on the auth-on instance only (group 6). */
  tokenOnly?: boolean;
  /** The target for Lazaret/Distribution, if any. */
  targetRatio?: number;
  /** Report peak RSS prominently (the issue asks for it during these). */
  memory?: boolean;
  prepare(ctx: Context): Promise<Prepared>;
}

/**
 * Runs `op` on `concurrency` lanes until `seconds` have passed; operations in flight at the
 * deadline are finished and counted. A lane stops at its first error (which is reported).
 */
export async function timedLanes(concurrency: number, seconds: number, op: (lane: number, n: number) => Promise<number | void>): Promise<Outcome> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ops = 0;
  let bytes = 0;
  let errors = 0;
  let firstError: string | undefined;
  let n = 0;
  const latencies: number[] = [];
  await Promise.all(Array.from({ length: concurrency }, async (_, lane) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const b = await op(lane, n++);
        ops++;
        if (typeof b === 'number') bytes += b;
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        return;
      }
    }
  }));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : undefined);
  return { ops, bytes, seconds: (performance.now() - start) / 1000, errors, firstError, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`verification failed: ${message}`);
}
