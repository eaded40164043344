/**
 * Runs one scenario on one target and measures around the timed part: registry CPU (its
 * process tree, from /proc), generator CPU (this process and its reaped children such as
 * wrk), and the registry's peak RSS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { generatorCpuSeconds, startMemoryWatch, treeCpuSeconds } from './proc-stats.ts';
import type { Context, Scenario, Unit } from './scenario.ts';

export interface RunRecord {
  scenario: string;
  target: string;
  round: number;
  unit: Unit;
  /** Throughput in `unit`; absent when the run failed. */
  value?: number;
  ops: number;
  bytes?: number;
  seconds: number;
  errors: number;
  firstError?: string;
  verified: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Cores the registry used on average (CPU seconds / wall seconds). */
  registryCores: number;
  generatorCores: number;
  /** The generator used >= 90% of a core: the result may be bounded by it. */
  generatorSaturated: boolean;
  peakRssMiB: number;
  /** The machine's 1-minute load average at the end of the run (noise indicator). */
  loadAverage?: number;
  /** With --profile: Lazaret's process.memoryUsage() (MiB) right after the run. */
  memoryMiB?: Record<string, number>;
  failure?: string;
}

export async function measure(scenario: Scenario, ctx: Context, round: number): Promise<RunRecord> {
  const base = { scenario: scenario.id, target: ctx.target.label, round, unit: scenario.unit };
  let prepared;
  try {
    prepared = await scenario.prepare(ctx);
  } catch (err) {
    return { ...base, ops: 0, seconds: 0, errors: 1, verified: 0, registryCores: 0, generatorCores: 0, generatorSaturated: false, peakRssMiB: 0, failure: `prepare: ${(err as Error).message}` };
  }
  // Every process of the target: a cluster's nodes and balancer, a node's workers (the tree).
  const pid = ctx.target.instance.pids ?? ctx.target.instance.pid;
  try {
    const profiler = ctx.profileDir ? ctx.target.instance.profiler : undefined;
    await profiler?.start();
    const memory = startMemoryWatch(pid);
    const regBefore = treeCpuSeconds(pid);
    const genBefore = generatorCpuSeconds();
    const outcome = await prepared.run();
    const genCpu = generatorCpuSeconds() - genBefore;
    const regCpu = treeCpuSeconds(pid) - regBefore;
    const peakRssMiB = memory.stop();
    let memoryMiB: Record<string, number> | undefined;
    if (profiler && ctx.profileDir) {
      mkdirSync(ctx.profileDir, { recursive: true });
      const file = join(ctx.profileDir, `${ctx.target.label.replace(/\W+/g, '-')}-${scenario.id}-r${round}.cpuprofile`);
      writeFileSync(file, JSON.stringify(await profiler.stop()));
      memoryMiB = await profiler.memoryUsage();
    }
    let verified = 0;
    let failure: string | undefined;
    try {
      verified = await prepared.verify();
    } catch (err) {
      failure = (err as Error).message;
    }
    const seconds = outcome.seconds || 1e-9;
    const value = scenario.unit === 'MB/s' ? (outcome.bytes ?? 0) / seconds / 1e6 : outcome.ops / seconds;
    const generatorCores = genCpu / seconds;
    return {
      ...base,
      value: failure || outcome.ops === 0 ? undefined : value,
      ops: outcome.ops,
      bytes: outcome.bytes,
      seconds: outcome.seconds,
      errors: outcome.errors,
      firstError: outcome.firstError,
      verified,
      p50Ms: outcome.p50Ms,
      p99Ms: outcome.p99Ms,
      registryCores: regCpu / seconds,
      generatorCores,
      generatorSaturated: generatorCores >= 0.9,
      peakRssMiB,
      loadAverage: loadavg()[0],
      memoryMiB,
      failure: failure ?? (outcome.ops === 0 ? `no operation completed${outcome.firstError ? `: ${outcome.firstError}` : ''}` : undefined),
    };
  } finally {
    await prepared.close?.();
  }
}
