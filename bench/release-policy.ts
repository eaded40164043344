/**
 * `node --import tsx bench/release-policy.ts [--part single|reevaluate|both] [--rounds N]
 *   [--images N] [--findings N] [--dialect sqlite|postgres|both]`: the release policy's two
 * performance targets (issue 12, docs/release-policy.md). Not part of `npm run bench`.
 *
 * - single: `evaluatePolicy` of one image with 500 findings, 20 active exceptions, a
 *   300-package SBOM and 3 cosign signatures (ECDSA P-256, 2 by trusted keys), against a policy
 *   with all four rule kinds. Pure CPU (the input is gathered beforehand, as the engine does).
 *   Target: under 50 ms.
 * - reevaluate: a real in-process registry (token auth, SQLite in a temp dir or a fresh
 *   PostgreSQL schema) holding `--images` (default 10,000) image manifests in 100 repositories,
 *   each with a finished scan whose report has `--findings` findings (one image in ten has a
 *   Critical). The manifests are pushed over HTTP; the scan results are recorded through the scan
 *   store's own claim/release, as a scan's finish records them. Then a release policy for
 *   `bench/**` is applied over HTTP and the time until the engine is idle is measured (every
 *   image evaluated, every verdict written through the registry's verdict path, audited, with
 *   events); then the policy is tightened (maxSeverity Medium: every released image drifts to
 *   `notify`) and timed again. The verdicts are counted afterwards and must match what the
 *   reports imply, so a run that skipped work fails. Target: under 60 s for 10,000 images.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import pg from 'pg';
import { request } from 'undici';
import { startInProcessServer } from './lib/in-process-server.ts';
import { parsePolicyDocument } from '../src/release-policy/document.ts';
import { evaluatePolicy, type EvaluationInput, type Finding } from '../src/release-policy/evaluate.ts';
import type { ExceptionRecord } from '../src/release-policy/policy-store.ts';
import { imageConfig, imageManifest, MANIFEST_MEDIA_TYPE, sha256 } from './lib/data.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const PART = arg('part', 'both');
const ROUNDS = Number(arg('rounds', '200'));
const IMAGES = Number(arg('images', '10000'));
const FINDINGS = Number(arg('findings', '100'));
const DIALECTS = arg('dialect', 'both') === 'both' ? ['sqlite', 'postgres'] : [arg('dialect', 'sqlite')];
const PG_URL = process.env.LAZARET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REPOSITORIES = 100;
const ADMIN = `Basic ${Buffer.from('admin:bench-admin-password').toString('base64')}`;
const SEVERITIES: Finding['severity'][] = ['Low', 'Medium', 'High', 'Unknown'];

/** BENCH_PROFILE=PREFIX: a V8 CPU profile of each timed phase (in-process inspector), written to PREFIX-<dialect>-<phase>.cpuprofile. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function findings(n: number, critical: boolean): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < n; i++) out.push({ id: critical && i === 0 ? 'CVE-2026-0001' : `CVE-2026-${String(10000 + i)}`, package: `pkg-${i % 97}`, version: `1.${i % 13}.0`, severity: critical && i === 0 ? 'Critical' : SEVERITIES[i % SEVERITIES.length]!, ...(i % 3 === 0 ? { fixVersion: `1.${i % 13}.1` } : {}) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// single: one image's evaluation, pure CPU.

async function singleBench() {
  const digest = `sha256:${randomBytes(32).toString('hex')}`;
  const trusted = [0, 1].map(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'registry.test/bench/app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
  const signatures = [...trusted, stranger].map((k, i) => ({ payload, signature: sign('sha256', payload, k.privateKey).toString('base64'), source: { manifest: `sha256:${String(i).repeat(64)}`, scheme: 'referrer' as const } }));
  const now = new Date();
  const exceptions: ExceptionRecord[] = Array.from({ length: 20 }, (_, i) => ({ id: `x${i}`, vulnerability: `CVE-2026-${10000 + i * 7}`, scope: 'repository', repository: 'bench/**', reason: 'bench', owner: 'admin', createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000), status: 'active' }) as ExceptionRecord);
  const input: EvaluationInput = {
    repository: 'bench/app',
    digest,
    mediaType: MANIFEST_MEDIA_TYPE,
    annotations: { 'org.opencontainers.image.source': 'https://example.test/app' },
    config: { labels: { team: 'a' }, architecture: 'amd64', os: 'linux' },
    report: { findings: findings(500, false), createdAt: now, scanner: 'bench' },
    sbom: { artifactType: 'application/vnd.cyclonedx+json', packages: Array.from({ length: 300 }, (_, i) => ({ name: `pkg-${i}`, version: `1.${i % 13}.0`, purl: `pkg:npm/pkg-${i}@1.${i % 13}.0`, type: 'library' })) },
    signatures,
    signatureErrors: [],
    exceptions,
    now,
  };
  const policy = await parsePolicyDocument({
    name: 'bench',
    repositories: ['bench/**'],
    rules: [
      { name: 'no-critical', vulnerabilities: { maxSeverity: 'High', maxCount: { High: 200 }, ignorePackages: ['pkg-9*'] } },
      { name: 'signed', signatures: { min: 2, cosign: { keys: trusted.map((k) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString()) } } },
      { name: 'sbom', sbom: { required: true } },
      { name: 'no-old-log4j', cel: '!sbom.packages.exists(p, p.name == "log4j-core" && p.version < "2.17.1")' },
    ],
  });
  const times: number[] = [];
  let state = '';
  for (let i = 0; i < ROUNDS + 1; i++) {
    const t0 = process.hrtime.bigint();
    const result = await evaluatePolicy(policy, input);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    state = result.state;
    if (!result.rules.find((r) => r.rule === 'signed')?.passed) throw new Error(`the two trusted signatures did not verify: ${JSON.stringify(result.rules)}`);
  }
  const first = times.shift()!;
  console.log(`single: 500 findings, 20 exceptions, 300 packages, 3 signatures -> ${state}; first ${first.toFixed(1)} ms, median ${median(times).toFixed(2)} ms, p95 ${pct(times, 0.95).toFixed(2)} ms, max ${Math.max(...times).toFixed(1)} ms over ${ROUNDS} (target < 50 ms)`);
}

// ---------------------------------------------------------------------------------------------
// reevaluate: 10,000 images in a real registry, a policy change, until idle.

async function call(url: string, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const r = await request(`${url}${path}`, { method, headers: { authorization: ADMIN, ...(body !== undefined ? { 'content-type': contentType } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}) });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text.slice(0, 300)}`);
  return text;
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const reportOf = (critical: boolean) => JSON.stringify({ generated_at: new Date().toISOString(), scanner: { name: 'bench', vendor: 'bench', version: '1' }, severity: critical ? 'Critical' : 'High', vulnerabilities: findings(FINDINGS, critical).map((f) => ({ id: f.id, package: f.package, version: f.version, severity: f.severity, ...(f.fixVersion ? { fix_version: f.fixVersion } : {}) })) });

async function reevaluateBench(dialect: string) {
  const schema = `lazaret_bench_policy_${randomBytes(4).toString('hex')}`;
  const server = await startInProcessServer('policy', { 'auth.mode': 'token', 'auth.adminPassword': 'bench-admin-password', ...(dialect === 'postgres' ? { databaseUrl: `${PG_URL}?schema=${schema}` } : {}) });
  const { services, url } = server;
  try {
    // The fixture: one config and layer per repository, IMAGES manifests differing by annotation.
    const t0 = Date.now();
    const layer = Buffer.from('bench layer');
    const config = imageConfig('bench');
    const repos = Array.from({ length: REPOSITORIES }, (_, i) => `bench/r${String(i).padStart(3, '0')}`);
    await inParallel(repos, 8, async (repo) => {
      for (const blob of [config.data, layer]) await call(url, 'POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, blob, 'application/octet-stream');
    });
    const images = Array.from({ length: IMAGES }, (_, i) => {
      const m = imageManifest({ digest: config.digest, size: config.data.length }, [{ digest: sha256(layer), size: layer.length }], `image ${i}`);
      return { repository: repos[i % REPOSITORIES]!, digest: m.digest, body: m.data, critical: i % 10 === 0, tag: `t${i}` };
    });
    await inParallel(images, 16, async (im) => {
      await call(url, 'PUT', `/v2/${im.repository}/manifests/${im.tag}`, im.body, MANIFEST_MEDIA_TYPE);
    });
    const pushed = Date.now();
    // Finished scans, recorded as the scan's finish records them (claim, release succeeded).
    const store = services.store;
    const byKey = new Map(images.map((im) => [`${im.repository}@${im.digest}`, im]));
    for (const im of images) await store.scanJobs.enqueue({ repository: im.repository, digest: im.digest, mediaType: MANIFEST_MEDIA_TYPE, kind: 'image', reason: 'push' } as never);
    let reported = 0;
    for (let idle = 0; reported < IMAGES && idle < 50; ) {
      const claimed = await store.scanJobs.claim({ now: new Date(Date.now() + 3_600_000), leaseMs: 600_000, limit: 500 });
      if (claimed.length === 0) {
        idle++;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (const job of claimed) {
        const im = byKey.get(`${job.repository}@${job.digest}`);
        if (!im) continue;
        if (await store.scanJobs.release(job, { state: 'succeeded', scanner: 'bench', report: reportOf(im.critical), finishedAt: new Date() })) reported++;
      }
    }
    if (reported < IMAGES) throw new Error(`only ${reported} of ${IMAGES} scan results recorded`);
    console.log(`reevaluate (${dialect}): fixture of ${IMAGES} images in ${REPOSITORIES} repositories, ${FINDINGS} findings each: pushed in ${((pushed - t0) / 1000).toFixed(1)} s, reports in ${((Date.now() - pushed) / 1000).toFixed(1)} s`);

    const exceptions = Array.from({ length: 20 }, (_, i) => `CVE-2026-${10000 + i * 5}`);
    for (const cve of exceptions) await call(url, 'POST', '/api/v1/policy-exceptions', { vulnerability: cve, repository: 'bench/**', reason: 'bench exception', expires: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    await services.releasePolicy.idle();

    const policy = (maxSeverity: string) => ({
      name: 'bench',
      repositories: ['bench/**'],
      onViolation: 'notify',
      rules: [
        { name: 'no-critical', vulnerabilities: { maxSeverity, ignorePackages: ['pkg-9*'] } },
        { name: 'source-annotated', cel: '!has(config.labels.forbidden)' },
      ],
    });
    for (const [label, maxSeverity] of [['apply (no verdicts yet)', 'High'], ['tighten (released images drift: notify)', 'Medium']] as const) {
      const start = Date.now();
      const cpu0 = process.cpuUsage();
      const profiling = process.env.BENCH_PROFILE ? await startProfile() : undefined;
      await call(url, 'POST', '/api/v1/release-policies', { document: policy(maxSeverity) });
      await services.releasePolicy.idle();
      const seconds = (Date.now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (profiling) await profiling(`${process.env.BENCH_PROFILE}-${dialect}-${maxSeverity}.cpuprofile`);
      const cpuMsPerImage = (cpu.user + cpu.system) / 1000 / IMAGES;
      const counts: Record<string, number> = {};
      for (const im of images) {
        const state = (await store.verdicts.get(im.repository, im.digest as never))?.state ?? 'none';
        counts[state] = (counts[state] ?? 0) + 1;
      }
      const failed = images.filter((im) => im.critical).length;
      // Passed is never changed by an evaluation (drift is flagged): both runs end the same.
      if (counts.Failed !== failed || counts.Passed !== IMAGES - failed) throw new Error(`verdicts after "${label}" do not match the reports: ${JSON.stringify(counts)} (expected Failed ${failed}, Passed ${IMAGES - failed})`);
      const flagged = maxSeverity === 'Medium' ? (await store.releaseEvaluations.get(images[1]!.repository, images[1]!.digest))?.violatingSince : undefined;
      if (maxSeverity === 'Medium' && !flagged) throw new Error('the tightened policy did not flag a released image as violating');
      console.log(`reevaluate (${dialect}): ${label}: ${IMAGES} images in ${seconds.toFixed(1)} s (${(IMAGES / seconds).toFixed(0)} images/s; target < 60 s), ${cpuMsPerImage.toFixed(2)} ms CPU per image (registry and bench share the process); verdicts ${JSON.stringify(counts)}`);
    }
  } finally {
    await server.close();
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }
}

if (PART === 'single' || PART === 'both') await singleBench();
if (PART === 'reevaluate' || PART === 'both') for (const d of DIALECTS) await reevaluateBench(d);
