/**
 * Turns run records into the summary: medians per (scenario, target) over the rounds, the
 * Lazaret/Distribution ratio, the issue's targets, and markdown tables (printed, and pasted
 * into bench/README.md).
 */
import type { RunRecord } from './measure.ts';
import type { Scenario } from './scenario.ts';

export const DISTRIBUTION = 'Distribution';
export const LAZARET = 'Lazaret';
export const LAZARET_AUTH = 'Lazaret+auth';
export const LAZARET_AUTH_GATE = 'Lazaret+auth+gate';
/** `--workers N`: the column of Lazaret with N workers. */
export const lazaretWorkers = (n: number) => `Lazaret x${n} workers`;
/** `--candidate`: the column of Lazaret with changed settings. */
export const LAZARET_CANDIDATE = 'Lazaret candidate';
/** Issue 15's target for manifest GET with 2 workers against one process. */
export const WORKERS_TARGET = 1.6;
export const RSS_LIMIT_MIB = 256;
export const GATE_COST_LIMIT = 0.10;

export interface Cell {
  value?: number;
  runs: number;
  failures: string[];
  errors: number;
  verified: number;
  registryCores?: number;
  generatorCores?: number;
  generatorSaturated: boolean;
  peakRssMiB?: number;
  p99Ms?: number;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(records: RunRecord[], scenario: string, target: string): Cell | undefined {
  const runs = records.filter((r) => r.scenario === scenario && r.target === target);
  if (runs.length === 0) return undefined;
  const ok = runs.filter((r) => r.value !== undefined);
  return {
    value: median(ok.map((r) => r.value!)),
    runs: runs.length,
    failures: [...new Set(runs.flatMap((r) => (r.failure ? [r.failure] : [])))],
    errors: runs.reduce((s, r) => s + r.errors, 0),
    verified: runs.reduce((s, r) => s + r.verified, 0),
    registryCores: median(ok.map((r) => r.registryCores)),
    generatorCores: median(ok.map((r) => r.generatorCores)),
    generatorSaturated: runs.some((r) => r.generatorSaturated),
    peakRssMiB: runs.length ? Math.max(...runs.map((r) => r.peakRssMiB)) : undefined,
    p99Ms: median(ok.flatMap((r) => (r.p99Ms === undefined ? [] : [r.p99Ms]))),
  };
}

export function ratio(a?: number, b?: number): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

const num = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(Math.max(digits, v >= 10 ? 1 : 2)));
const x = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(2)}x`);

function cellText(c: Cell | undefined): string {
  if (!c) return 'not run';
  if (c.value === undefined) return 'FAILED';
  const marks = `${c.errors > 0 ? ' (errors)' : ''}${c.generatorSaturated ? ' (gen-bound?)' : ''}`;
  return `${num(c.value)}${marks}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The ratio within each round (both sides ran seconds apart, so machine drift cancels out). */
export function roundRatioValues(records: RunRecord[], scenario: string, a: string, b: string): (number | undefined)[] {
  const rounds = [...new Set(records.filter((r) => r.scenario === scenario).map((r) => r.round))].sort((x, y) => x - y);
  return rounds.map((round) => ratio(
    records.find((r) => r.scenario === scenario && r.target === a && r.round === round)?.value,
    records.find((r) => r.scenario === scenario && r.target === b && r.round === round)?.value,
  ));
}

export function roundRatios(records: RunRecord[], scenario: string, a: string, b: string): string {
  return roundRatioValues(records, scenario, a, b).map((q) => (q === undefined ? '-' : q.toFixed(2))).join(' ');
}

/** The headline ratio: the median of the per-round ratios (falls back to the ratio of medians). */
export function headlineRatio(records: RunRecord[], scenario: string, a: string, b: string): number | undefined {
  const values = roundRatioValues(records, scenario, a, b).filter((q): q is number => q !== undefined);
  return values.length ? median(values) : ratio(summarize(records, scenario, a)?.value, summarize(records, scenario, b)?.value);
}

export function mainTable(records: RunRecord[], scenarios: Scenario[]): string {
  const rows: string[][] = [];
  for (const s of scenarios.filter((s) => !s.tokenOnly)) {
    const d = summarize(records, s.id, DISTRIBUTION);
    const l = summarize(records, s.id, LAZARET);
    if (!d && !l) continue;
    const r = headlineRatio(records, s.id, LAZARET, DISTRIBUTION);
    const perRound = roundRatios(records, s.id, LAZARET, DISTRIBUTION);
    const target = s.targetRatio ? `>=${s.targetRatio}x${r === undefined ? '' : r >= s.targetRatio ? ' met' : ' MISSED'}` : '';
    rows.push([
      String(s.group), s.title, s.unit, cellText(d), cellText(l), x(r), perRound, target,
      `${num(d?.registryCores, 2)} / ${num(l?.registryCores, 2)}`,
      `${num(d?.generatorCores, 2)} / ${num(l?.generatorCores, 2)}`,
      `${num(d?.peakRssMiB)} / ${num(l?.peakRssMiB)}${(l?.peakRssMiB ?? 0) > RSS_LIMIT_MIB ? ' OVER' : ''}`,
      `${d?.verified ?? 0} / ${l?.verified ?? 0}`,
    ]);
  }
  return table(['#', 'scenario', 'unit', DISTRIBUTION, LAZARET, 'L/D', 'L/D per round', 'target', 'registry cores D / L', 'generator cores D / L', 'peak RSS MiB D / L', 'verified D / L'], rows);
}

export function variantsTable(records: RunRecord[], scenarios: Scenario[]): string | undefined {
  const rows: string[][] = [];
  for (const s of scenarios.filter((s) => s.onVariants)) {
    const d = summarize(records, s.id, DISTRIBUTION);
    const off = summarize(records, s.id, LAZARET);
    const auth = summarize(records, s.id, LAZARET_AUTH);
    const both = summarize(records, s.id, LAZARET_AUTH_GATE);
    if (!auth && !both) continue;
    const kept = headlineRatio(records, s.id, LAZARET_AUTH_GATE, LAZARET);
    const cost = kept === undefined ? undefined : 1 - kept;
    const vsD = headlineRatio(records, s.id, LAZARET_AUTH_GATE, DISTRIBUTION);
    const isManifestGet = s.id.startsWith('manifest-get');
    rows.push([
      String(s.group), s.title, s.unit, cellText(d), cellText(off), cellText(auth), cellText(both),
      cost === undefined ? '-' : `${(cost * 100).toFixed(1)}%${isManifestGet ? (cost <= GATE_COST_LIMIT ? ' met' : ' MISSED') : ''}`,
      `${x(vsD)}${isManifestGet && s.targetRatio ? ((vsD ?? 0) >= s.targetRatio ? ' met' : ' MISSED') : ''}`,
      `${num(auth?.peakRssMiB)} / ${num(both?.peakRssMiB)}`,
    ]);
  }
  if (rows.length === 0) return undefined;
  return table(['#', 'scenario', 'unit', DISTRIBUTION, `${LAZARET} (auth off, gate off)`, LAZARET_AUTH, LAZARET_AUTH_GATE, 'cost of auth+gate (target <=10% on manifest GET)', '(auth+gate)/D (target >=1.5x on manifest GET)', 'peak RSS MiB auth / auth+gate'], rows);
}

/** `--workers N`: Lazaret with N workers against one process, same run, per scenario. */
export function workersTable(records: RunRecord[], scenarios: Scenario[], workers: number): string | undefined {
  const label = lazaretWorkers(workers);
  const rows: string[][] = [];
  for (const s of scenarios.filter((s) => !s.tokenOnly)) {
    const one = summarize(records, s.id, LAZARET);
    const many = summarize(records, s.id, label);
    if (!one || !many) continue;
    const r = headlineRatio(records, s.id, label, LAZARET);
    const target = s.id.startsWith('manifest-get') && workers === 2 ? `>=${WORKERS_TARGET}x${(r ?? 0) >= WORKERS_TARGET ? ' met' : ' MISSED'}` : '';
    rows.push([String(s.group), s.title, s.unit, cellText(one), cellText(many), x(r), roundRatios(records, s.id, label, LAZARET), target,
      `${num(one.registryCores, 2)} / ${num(many.registryCores, 2)}`, `${num(one.generatorCores, 2)} / ${num(many.generatorCores, 2)}`, `${num(one.peakRssMiB)} / ${num(many.peakRssMiB)}`]);
  }
  if (rows.length === 0) return undefined;
  return table(['#', 'scenario', 'unit', `${LAZARET} (1 process)`, label, 'ratio', 'per round', 'target', 'registry cores 1 / N', 'generator cores 1 / N', 'peak RSS MiB 1 / N (all processes)'], rows);
}

export function failuresText(records: RunRecord[]): string {
  const lines = new Set<string>();
  for (const r of records) {
    if (r.failure) lines.add(`- ${r.target} ${r.scenario}: ${r.failure}`);
    else if (r.errors > 0) lines.add(`- ${r.target} ${r.scenario}: ${r.errors} error(s)${r.firstError ? `: ${r.firstError}` : ''}`);
  }
  return [...lines].join('\n');
}

/**
 * `--candidate`: Lazaret with changed settings against the default one, same run, per scenario:
 * throughput, registry CPU per operation (cores / rate: the figure a loaded machine distorts
 * least) and peak RSS.
 */
export function candidateTable(records: RunRecord[], scenarios: Scenario[]): string | undefined {
  const rows: string[][] = [];
  const perOp = (c: Cell | undefined) => (c?.value && c.registryCores !== undefined ? c.registryCores / c.value : undefined);
  for (const s of scenarios.filter((s) => !s.tokenOnly)) {
    const base = summarize(records, s.id, LAZARET);
    const cand = summarize(records, s.id, LAZARET_CANDIDATE);
    if (!base || !cand) continue;
    const unitCpu = s.unit === 'MB/s' ? 'ms/MB' : 'us/op';
    const scale = s.unit === 'MB/s' ? 1e3 : 1e6;
    const a = perOp(base);
    const b = perOp(cand);
    rows.push([String(s.group), s.title, s.unit, cellText(base), cellText(cand), x(headlineRatio(records, s.id, LAZARET_CANDIDATE, LAZARET)),
      a === undefined ? '-' : `${num(a * scale, 1)} ${unitCpu}`, b === undefined ? '-' : `${num(b * scale, 1)} ${unitCpu}`, x(ratio(b, a)),
      `${num(base.peakRssMiB)} / ${num(cand.peakRssMiB)}`]);
  }
  if (rows.length === 0) return undefined;
  return table(['#', 'scenario', 'unit', LAZARET, LAZARET_CANDIDATE, 'ratio', 'CPU per op, default', 'CPU per op, candidate', 'CPU candidate/default', 'peak RSS MiB default / candidate'], rows);
}
