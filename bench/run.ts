/**
 * `npm run bench`: Lazaret against CNCF Distribution, same machine, same run, alternating.
 * See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools, installCleanup, isStopping, stopAll } from './lib/children.ts';
import { formatProfile } from './lib/cpu-profile.ts';
import { MiB, imageManifest, inMemory, randomFile } from './lib/data.ts';
import { REPOS, fixtureManifests, makeFixtureData, setupFixture } from './lib/fixture.ts';
import { pullScope, pushScope } from './lib/registry-client.ts';
import { MANIFEST_ACCEPT } from './lib/verify.ts';
import { releaseManifests, setQuarantinePolicy } from './lib/gate.ts';
import { measure, type RunRecord } from './lib/measure.ts';
import { parseOptions } from './lib/options.ts';
import { DISTRIBUTION, LAZARET, LAZARET_AUTH, LAZARET_AUTH_GATE, LAZARET_CANDIDATE, candidateTable, failuresText, lazaretWorkers, mainTable, median, variantsTable, workersTable } from './lib/report.ts';
import type { BenchData, Scenario } from './lib/scenario.ts';
import { startDistribution, startLazaret, startLazaretCluster, stopInstance, type BenchBucket, type Instance, type Target } from './lib/targets.ts';
import { externalS3, startS3, type BenchS3 } from './lib/s3.ts';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SCENARIOS } from './scenarios/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(repoRoot, 'bench');
const workDir = join(benchDir, 'work');
const profileDir = join(workDir, 'profiles');

// `--scale` is its own mode (bench/scale.ts: fixtures of 1,000 vs 1,000,000 tags): it takes its own options.
if (process.argv.includes('--scale')) {
  await import('./scale.ts');
  process.exit(0);
}
const opts = parseOptions(process.argv.slice(2));
installCleanup();
// As README "Operations" recommends (with MALLOC_ARENA_MAX, set in lib/targets.ts): a fixed
// mmap threshold, so glibc returns big freed blocks (scrypt's 16 MiB, 1 MiB read buffers) to the
// kernel instead of keeping them in its heap; measured -15 to -40 MiB of Lazaret RSS after logins,
// pushes and pulls (bench/README.md, "Memory"). Set here, before any child starts, so every
// child inherits it; an operator's own setting wins.
process.env.MALLOC_MMAP_THRESHOLD_ ??= '131072';
const tools = ensureTools();
const notes: string[] = [
  `${LAZARET_AUTH} and ${LAZARET_AUTH_GATE} are compared with ${DISTRIBUTION} WITHOUT auth: Distribution's token auth needs an external token server, which the bench does not run.`,
];
const note = (text: string) => {
  notes.push(text);
  console.log(`bench: ${text}`);
};

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '').split('\n')[0]!.trim() || 'unknown';
  }
}

const started = new Date();
console.log(`bench: ${opts.rounds} round(s) of ${opts.duration} s runs${opts.quick ? ' (quick)' : ''}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
console.log('bench: preparing data (random files are made once and kept in bench/work/data)');
const dataDir = join(workDir, 'data');
// The push scenarios send these from memory (512 MiB in this process): see data.ts `inMemory`.
const bigFiles = [0, 1, 2, 3].map((i) => inMemory(randomFile(dataDir, `blob-64m-${i}`, 64 * MiB)));
const data: BenchData = { bigFiles, chunkFile: inMemory(randomFile(dataDir, 'blob-256m', 256 * MiB)), fixture: makeFixtureData(bigFiles[0]!) };

const instances: Instance[] = [];
const targets: Target[] = [];
const records: RunRecord[] = [];

async function start(label: string, launch: () => Promise<Instance>): Promise<Instance | undefined> {
  const t0 = performance.now();
  let instance: Instance | undefined;
  try {
    instance = await launch();
    instances.push(instance);
    await setupFixture(instance, data.fixture);
    console.log(`bench: ${label} at ${instance.origin} (pid ${instance.pid}), fixture ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return instance;
  } catch (err) {
    note(`${label} could not be set up, its scenarios are not run: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    return undefined;
  }
}

function applies(s: Scenario, t: Target): boolean {
  if (s.tokenOnly) return t.label === LAZARET_AUTH;
  return t.variant ? s.onVariants : true;
}

/** A manifest pushed while the policy is on must be held from the bench's (pull) principal. */
async function checkGateHolds(instance: Instance, benchData: BenchData): Promise<string> {
  const { client } = instance;
  const { config, layer } = benchData.fixture;
  const held = imageManifest({ digest: config.digest, size: config.data.length }, [{ digest: layer.digest, size: layer.data.length }], 'held');
  const pool = client.pool(1);
  try {
    await client.putManifest(pool, REPOS.manifests, 'held', held, await client.authHeaders([pushScope(REPOS.manifests)]));
    const res = await pool.request({ method: 'GET', path: `/v2/${REPOS.manifests}/manifests/held`, headers: { ...(await client.authHeaders([pullScope(REPOS.manifests)])), accept: MANIFEST_ACCEPT } });
    await res.body.dump();
    return res.statusCode === 404
      ? 'checked: a manifest pushed with the policy on is held (GET by tag answers 404), so the gate is active'
      : `WARNING: a manifest pushed with the policy on answered ${res.statusCode} to GET by tag (expected 404): the gate may not be active`;
  } finally {
    await pool.close();
  }
}

/** --nodes: the schema the cluster's nodes share, dropped at the end. */
let clusterSchema: string | undefined;

async function main() {
  let s3: BenchS3 | undefined;
  const bucket = async (name: string): Promise<BenchBucket | undefined> => (s3 ? s3.bucket(`${name}-${randomBytes(4).toString('hex')}`) : undefined);
  if (opts.storage === 's3' && opts.s3Endpoint) {
    s3 = await externalS3(opts.s3Endpoint);
    note(`storage s3: both registries keep blobs in the S3 server at ${s3.endpoint} (--s3-endpoint; not counted in the registry columns), each in its own bucket, ${DISTRIBUTION} with its s3 driver`);
  } else if (opts.storage === 's3') {
    s3 = await startS3(repoRoot);
    note(`storage s3: Lazaret keeps blobs in a local s3rver (${s3.endpoint}); s3rver (JavaScript, objects as files, not counted in the registry columns) bounds its pushes and pulls`);
  }
  // Distribution's s3 driver lists multipart uploads to resume an upload (ListMultipartUploads),
  // which s3rver does not implement (501 on every blob PUT, measured 2026-12-02): against s3rver
  // Distribution cannot store a blob, so it stays on its filesystem and the note says so.
  const distributionBucket = s3?.servesDistribution ? await bucket('distribution') : undefined;
  const distribution = await start(DISTRIBUTION, () => startDistribution(tools.distribution, distributionBucket));
  if (s3 && !distributionBucket) note(`storage s3: ${DISTRIBUTION} runs on its filesystem: its s3 driver needs ListMultipartUploads, which s3rver lacks (every blob PUT answered 500 NotImplemented); L/D compares Lazaret on S3 with Distribution on disk (--s3-endpoint with bench/ceph-rgw.sh compares both on S3)`);
  if (distribution) targets.push({ label: DISTRIBUTION, instance: distribution, variant: false });
  const profile = opts.profile ? profileDir : undefined;
  const base = { auth: false, profileDir: profile, adminUser: opts.adminUser, adminPassword: opts.adminPassword };
  let lazaret: Instance | undefined;
  if (opts.nodes > 1) {
    clusterSchema = `bench_${randomBytes(4).toString('hex')}`;
    const databaseUrl = `${opts.databaseUrl}${opts.databaseUrl.includes('?') ? '&' : '?'}schema=${clusterSchema}`;
    const shared = (await bucket('lazaret'))!;
    lazaret = await start(LAZARET, () => startLazaretCluster(repoRoot, { ...base, nodes: opts.nodes, databaseUrl, s3: shared }));
    note(`nodes ${opts.nodes}: the ${LAZARET} column is ${opts.nodes} nodes (one process each) on one PostgreSQL schema and one bucket behind HAProxy (docs/scale-out.md's example); its CPU and RSS count every node and HAProxy; ${DISTRIBUTION} is one process`);
  } else {
    const own = await bucket('lazaret');
    lazaret = await start(LAZARET, () => startLazaret(repoRoot, { ...base, ...(own ? { s3: own } : {}) }));
  }
  if (lazaret) targets.push({ label: LAZARET, instance: lazaret, variant: false });
  if (opts.workers > 0 && opts.nodes === 1) {
    const own = await bucket('lazaret-workers');
    const label = lazaretWorkers(opts.workers);
    const many = await start(label, () => startLazaret(repoRoot, { ...base, workers: opts.workers, ...(own ? { s3: own } : {}) }));
    if (many) targets.push({ label, instance: many, variant: false });
    note(`workers ${opts.workers}: ${label} is serve --workers ${opts.workers} on SQLite (its CPU and RSS count the primary and every worker); ${LAZARET} is one process`);
  }
  if (opts.candidate && opts.nodes === 1) {
    const own = await bucket('lazaret-candidate');
    const candidate = await start(LAZARET_CANDIDATE, () => startLazaret(repoRoot, { ...base, nodeArgs: opts.candidate!.nodeArgs, env: opts.candidate!.env, ...(own ? { s3: own } : {}) }));
    if (candidate) targets.push({ label: LAZARET_CANDIDATE, instance: candidate, variant: false });
    note(`candidate: ${LAZARET_CANDIDATE} is ${LAZARET} with node flags [${opts.candidate.nodeArgs.join(' ')}] and environment [${Object.entries(opts.candidate.env).map(([k, v]) => `${k}=${v}`).join(' ')}]`);
  }
  if (opts.variants) {
    const withAuth = await start(LAZARET_AUTH, () => startLazaret(repoRoot, { auth: true, profileDir: profile, adminUser: opts.adminUser, adminPassword: opts.adminPassword }));
    if (withAuth) {
      targets.push({ label: LAZARET_AUTH, instance: withAuth, gate: false, variant: true });
      try {
        await setQuarantinePolicy(withAuth.client, true);
        const how = await releaseManifests(withAuth.client, fixtureManifests(data.fixture));
        note(`${LAZARET_AUTH_GATE}: the quarantine policy is enabled and the fixture's manifests were released with ${how}`);
        note(`${LAZARET_AUTH_GATE}: ${await checkGateHolds(withAuth, data)}`);
        targets.push({ label: LAZARET_AUTH_GATE, instance: withAuth, gate: true, variant: true });
      } catch (err) {
        note(`the quarantine gate could not be turned on or the fixture released, ${LAZARET_AUTH_GATE} is not run: ${(err as Error).message}`);
      }
    }
  }
  if (targets.length === 0) throw new Error('no registry could be started');
  const gateState = new Map<Instance, boolean>();
  const scenarios = SCENARIOS.filter((s) => opts.only.length === 0 || opts.only.some((o) => s.id.includes(o)));
  for (let round = 1; round <= opts.rounds; round++) {
    for (const scenario of scenarios) {
      const eligible = targets.filter((t) => applies(scenario, t));
      // Alternate who goes first, so neither side always runs on a warmer (or hotter) machine.
      const order = round % 2 === 1 ? eligible : [...eligible].reverse();
      for (const target of order) {
        if (isStopping()) return;
        if (target.gate !== undefined && gateState.get(target.instance) !== target.gate) {
          await setQuarantinePolicy(target.instance.client, target.gate);
          gateState.set(target.instance, target.gate);
        }
        const runId = `${round}-${Date.now().toString(36)}`;
        const record = await measure(scenario, { target, seconds: opts.duration, wrkPath: tools.wrk, workDir: join(workDir, 'wrk'), data, runId, profileDir: opts.profile ? profileDir : undefined }, round);
        if (isStopping()) return;
        records.push(record);
        const value = record.value === undefined ? `FAILED (${record.failure})` : `${record.value.toFixed(1)} ${record.unit}`;
        console.log(`[round ${round}] ${scenario.id.padEnd(20)} ${target.label.padEnd(18)} ${value}  registry ${record.registryCores.toFixed(2)} cores, generator ${record.generatorCores.toFixed(2)} cores${record.generatorSaturated ? ' SATURATED' : ''}, peak RSS ${record.peakRssMiB.toFixed(0)} MiB${record.errors ? `, ${record.errors} error(s)` : ''}${record.memoryMiB ? `, memoryUsage MiB ${JSON.stringify(record.memoryMiB)}` : ''}`);
      }
    }
  }
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(`bench: ${(err as Error).stack ?? String(err)}`);
} finally {
  // Stop every registry first (in parallel), then remove their data dirs.
  await Promise.all(instances.map((instance) => stopInstance(instance, opts.keepWork)));
  await stopAll();
  if (clusterSchema) {
    const db = new pg.Client({ connectionString: opts.databaseUrl });
    await db.connect().then(() => db.query(`drop schema if exists "${clusterSchema}" cascade`)).catch(() => undefined).finally(() => db.end());
  }
}

const scenarios = SCENARIOS;
const main1 = mainTable(records, scenarios);
const variants = variantsTable(records, scenarios);
const failures = failuresText(records);
const tokenRows = records.filter((r) => r.scenario === 'token' && r.value !== undefined);
console.log(`\n## Lazaret vs CNCF Distribution (${started.toISOString()}, median of ${opts.rounds} round(s) of ${opts.duration} s)\n`);
console.log(main1);
if (variants) console.log(`\n## Token auth and the quarantine gate\n\n${variants}`);
const workersSummary = opts.workers > 0 ? workersTable(records, scenarios, opts.workers) : undefined;
if (workersSummary) console.log(`\n## ${lazaretWorkers(opts.workers)} vs one process\n\n${workersSummary}`);
const candidateSummary = opts.candidate ? candidateTable(records, scenarios) : undefined;
if (candidateSummary) console.log(`\n## ${LAZARET_CANDIDATE} vs ${LAZARET}\n\n${candidateSummary}`);
if (tokenRows.length) console.log(`\ntoken endpoint (Lazaret only): ${tokenRows.map((r) => r.value!.toFixed(0)).join(', ')} req/s`);
const floodRows = records.filter((r) => r.scenario === 'login-flood' && r.value !== undefined);
if (floodRows.length) {
  const p99 = median(floodRows.map((r) => r.p99Ms ?? NaN))!;
  console.log(`good login during a flood of bad ones (Lazaret only): p50 ${median(floodRows.map((r) => r.p50Ms ?? NaN))!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target < 100 ms: ${p99 < 100 ? 'met' : 'MISSED'})`);
}
if (records.some((r) => r.generatorSaturated)) console.log('\n(gen-bound?) = the load generator used >= 90% of a core during the run: the result may be bounded by the generator, not the registry.');
if (failures) console.log(`\nerrors and failures:\n${failures}`);
const loads = records.map((r) => r.loadAverage).filter((l): l is number => l !== undefined);
if (loads.length) notes.push(`machine load (1-min load average, ${cpus().length} CPUs) during the timed runs: median ${median(loads)!.toFixed(1)}, max ${Math.max(...loads).toFixed(1)} (above ${cpus().length}, processes were waiting for a CPU)`);
if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);

mkdirSync(join(benchDir, 'results'), { recursive: true });
const resultFile = join(benchDir, 'results', `${started.toISOString().replace(/[:.]/g, '-')}${opts.quick ? '-quick' : ''}${opts.storage === 's3' ? (opts.s3Endpoint ? '-s3ext' : '-s3') : ''}${opts.nodes > 1 ? `-nodes${opts.nodes}` : ''}${opts.workers ? `-workers${opts.workers}` : ''}.json`);
writeFileSync(resultFile, `${JSON.stringify({
  date: started.toISOString(),
  options: opts,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, distribution: version(tools.distribution, ['--version']), wrk: version(tools.wrk, ['-v']) },
  notes,
  records,
  tables: { main: main1, variants, workers: workersSummary, candidate: candidateSummary },
}, null, 2)}\n`);
console.log(`\nbench: results written to ${resultFile}`);

if (opts.profile) {
  try {
    // The per-run profiles (one scenario on one target each); the whole-process ones are kept too.
    for (const f of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile') && !f.includes('whole-process'))) console.log(`\n${formatProfile(join(profileDir, f), 12)}`);
  } catch (err) {
    console.log(`bench: no profiles to summarize (${(err as Error).message})`);
  }
}
process.exit(failed ? 1 : 0);
