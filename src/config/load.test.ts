import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, validateConfig } from './load.ts';
import { configFields, envNameOf } from './env.ts';
import { renderConfigDocs } from './docs.ts';

const dir = mkdtempSync(join(tmpdir(), 'lazaret-config-'));

test('defaults apply when nothing is configured', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.listen, '127.0.0.1:5000');
  assert.equal(c.dataDir, './data');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.auth.mode, 'token');
  assert.equal(c.storage.fsync, 'data');
  assert.equal(c.workers, 1, 'one process unless workers are asked for (docs/scale-out.md)');
  assert.equal(loadConfig({ env: { LAZARET_WORKERS: '0' } }).workers, 0, '0 = one per CPU');
});

test('storage.fsync: data, full or off, from the file or LAZARET_STORAGE_FSYNC; anything else is refused', () => {
  const file = join(dir, 'fsync.yaml');
  writeFileSync(file, 'storage:\n  fsync: full\n');
  assert.equal(loadConfig({ file, env: {} }).storage.fsync, 'full');
  assert.equal(loadConfig({ file, env: { LAZARET_STORAGE_FSYNC: 'off' } }).storage.fsync, 'off');
  assert.throws(() => loadConfig({ env: { LAZARET_STORAGE_FSYNC: 'sometimes' } }), (err: unknown) => err instanceof ConfigError && /^storage\.fsync: /m.test(err.problems.join('\n')));
});

test('environment overrides the file, the file overrides defaults', () => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'listen: 0.0.0.0:6000\ndataDir: /srv/lazaret\nauth:\n  accessTokenTtlSeconds: 600\n');
  const c = loadConfig({ file, env: { LAZARET_LISTEN: '[::1]:7000', LAZARET_ACCESS_TOKEN_TTL: '900' } });
  assert.equal(c.listen, '[::1]:7000');
  assert.equal(c.dataDir, '/srv/lazaret');
  assert.equal(c.auth.accessTokenTtlSeconds, 900);
});

test('errors name the offending field', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ listen: 'nope', auth: { mode: 'basic' }, unknownKey: 1 }));
  assert.throws(() => loadConfig({ file, env: {} }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /^listen: /m);
    assert.match(text, /^auth\.mode: /m);
    assert.match(text, /unknownKey/);
    return true;
  });
});

/** Every environment name that existed before the names were derived, with its field: they keep working. */
const NAMES_BEFORE_DERIVATION: Record<string, string> = {
  LAZARET_LISTEN: 'listen', LAZARET_BASE_URL: 'baseUrl', LAZARET_SERVICE: 'service', LAZARET_DATA_DIR: 'dataDir',
  LAZARET_DATABASE_URL: 'databaseUrl', LAZARET_TLS_CERT: 'tls.cert', LAZARET_TLS_KEY: 'tls.key', LAZARET_LOG_LEVEL: 'log.level',
  LAZARET_LOG_FORMAT: 'log.format', LAZARET_METRICS_LISTEN: 'metrics.listen', LAZARET_OTEL_ENDPOINT: 'otel.endpoint',
  LAZARET_AUTH_MODE: 'auth.mode', LAZARET_ADMIN_PASSWORD: 'auth.adminPassword', LAZARET_ACCESS_TOKEN_TTL: 'auth.accessTokenTtlSeconds',
  LAZARET_REFRESH_TOKEN_TTL: 'auth.refreshTokenTtlSeconds', LAZARET_UPLOAD_STALE_AFTER: 'uploads.staleAfterSeconds',
  LAZARET_UPLOAD_UNTOUCHED_STALE_AFTER: 'uploads.untouchedStaleAfterSeconds', LAZARET_UPLOAD_MAX_PER_PRINCIPAL: 'uploads.maxPerPrincipal',
  LAZARET_UPLOAD_MAX_PER_REPOSITORY: 'uploads.maxPerRepository', LAZARET_STORAGE_FSYNC: 'storage.fsync', LAZARET_STORAGE_DRIVER: 'storage.driver',
  LAZARET_STORAGE_S3_BUCKET: 'storage.s3.bucket', LAZARET_STORAGE_S3_PREFIX: 'storage.s3.prefix', LAZARET_STORAGE_S3_REGION: 'storage.s3.region',
  LAZARET_STORAGE_S3_ENDPOINT: 'storage.s3.endpoint', LAZARET_STORAGE_S3_FORCE_PATH_STYLE: 'storage.s3.forcePathStyle',
  LAZARET_STORAGE_S3_ACCESS_KEY_ID: 'storage.s3.accessKeyId', LAZARET_STORAGE_S3_SECRET_ACCESS_KEY: 'storage.s3.secretAccessKey',
  LAZARET_STORAGE_S3_REDIRECT: 'storage.s3.redirect', LAZARET_STORAGE_S3_REDIRECT_TTL: 'storage.s3.redirectTtlSeconds',
  LAZARET_EVENTS_ATTEMPT_TIMEOUT_MS: 'events.attemptTimeoutMs', LAZARET_EVENTS_MAX_ATTEMPTS: 'events.maxAttempts',
  LAZARET_EVENTS_BACKOFF_BASE_MS: 'events.backoffBaseMs', LAZARET_EVENTS_BACKOFF_MAX_MS: 'events.backoffMaxMs',
  LAZARET_EVENTS_POLL_INTERVAL_MS: 'events.pollIntervalMs', LAZARET_EVENTS_CONCURRENCY: 'events.concurrency',
  LAZARET_EVENTS_PER_WEBHOOK_CONCURRENCY: 'events.perWebhookConcurrency', LAZARET_EVENTS_RETENTION_DAYS: 'events.retentionDays',
  LAZARET_SCANNER_BUILTIN: 'scanner.builtin', LAZARET_SCANNER_FAIL_ON: 'scanner.failOn', LAZARET_SCANNER_REGISTRY_URL: 'scanner.registryUrl',
  LAZARET_SCANNER_REQUEST_TIMEOUT: 'scanner.requestTimeoutSeconds', LAZARET_SCANNER_START_TIMEOUT: 'scanner.startTimeoutSeconds',
  LAZARET_SCANNER_FINISH_TIMEOUT: 'scanner.finishTimeoutSeconds', LAZARET_SCANNER_MAX_ATTEMPTS: 'scanner.maxAttempts',
  LAZARET_SCANNER_PER_SCANNER_CONCURRENCY: 'scanner.perScannerConcurrency', LAZARET_SCANNER_FIRST_POLL_MS: 'scanner.firstPollMs',
  LAZARET_SCANNER_DEFAULT_REFRESH_MS: 'scanner.defaultRefreshMs', LAZARET_SCANNER_HEALTH_INTERVAL: 'scanner.healthIntervalSeconds',
  LAZARET_SCANNER_POLL_INTERVAL_MS: 'scanner.pollIntervalMs', LAZARET_WEBHOOKS_ALLOW_DESTINATIONS: 'webhooks.allowDestinations',
  LAZARET_WEBHOOKS_DENY_DESTINATIONS: 'webhooks.denyDestinations', LAZARET_TRUST_PROXY: 'trustProxy',
};

test('environment names: derived from every path, unique, and every name in use before derivation still sets its field', () => {
  const byName = new Map<string, string>();
  for (const field of configFields()) {
    assert.equal(field.envNames[0], envNameOf(field.path));
    for (const name of field.envNames) {
      assert.ok(!byName.has(name), `${name} names both ${byName.get(name)} and ${field.path}`);
      byName.set(name, field.path);
    }
  }
  assert.equal(envNameOf('storage.s3.forcePathStyle'), 'LAZARET_STORAGE_S3_FORCE_PATH_STYLE');
  for (const [name, path] of Object.entries(NAMES_BEFORE_DERIVATION)) assert.equal(byName.get(name), path, name);
  // Every leaf has a name: one per field, none hand-kept.
  assert.ok(byName.get('LAZARET_OTEL_SAMPLE_RATIO') === 'otel.sampleRatio' && byName.get('LAZARET_METRICS_MAIN_PORT') === 'metrics.mainPort');
});

test('environment values are converted by the field type; the derived name wins over an alias', () => {
  const c = loadConfig({
    env: { LAZARET_OTEL_SAMPLE_RATIO: '0.25', LAZARET_METRICS_MAIN_PORT: '1', LAZARET_WEBHOOKS_DENY_DESTINATIONS: '10.0.0.0/8, fd00::/8', LAZARET_AUTH_ACCESS_TOKEN_TTL_SECONDS: '120', LAZARET_ACCESS_TOKEN_TTL: '900', LAZARET_UPLOAD_STALE_AFTER: '600' },
  });
  assert.equal(c.otel.sampleRatio, 0.25);
  assert.equal(c.metrics.mainPort, true);
  assert.deepEqual(c.webhooks.denyDestinations, ['10.0.0.0/8', 'fd00::/8']);
  assert.equal(c.auth.accessTokenTtlSeconds, 120);
  assert.equal(c.uploads.staleAfterSeconds, 600);
});

test('problems name the field, the value and its source (the file or the environment variable)', () => {
  const file = join(dir, 'sources.yaml');
  writeFileSync(file, 'auth:\n  mode: basic\nevents:\n  maxAttempts: 0\n');
  assert.throws(() => loadConfig({ file, env: { LAZARET_ACCESS_TOKEN_TTL: 'soon', LAZARET_STORAGE_S3_REDIRECT: 'yes', LAZARET_STORAGE_DRIVER: 's3' } }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, new RegExp(`^auth\\.mode: must be one of token, none \\(got "basic"; from file ${file.replace(/[.]/g, '\\.')}\\)$`, 'm'));
    assert.match(text, /^events\.maxAttempts: must be >= 1 \(got 0; from file /m);
    assert.match(text, /^auth\.accessTokenTtlSeconds: must be an integer \(got "soon"; from env LAZARET_ACCESS_TOKEN_TTL\)$/m);
    assert.match(text, /^storage\.s3\.redirect: must be a boolean \(got "yes"; from env LAZARET_STORAGE_S3_REDIRECT\)$/m);
    return true;
  });
  assert.throws(() => loadConfig({ env: { LAZARET_STORAGE_DRIVER: 's3' } }), (err: unknown) => err instanceof ConfigError && /^storage\.s3\.bucket: driver s3 needs storage\.s3\.bucket \(from env LAZARET_STORAGE_DRIVER\)$/m.test(err.problems.join('\n')));
  assert.throws(() => validateConfig({ webhooks: { allowDestinations: ['10.0.0.0/8', 'nope'] } }, 'file x.yaml'), (err: unknown) => err instanceof ConfigError && /^webhooks\.allowDestinations\.1: not a CIDR .*from file x\.yaml/m.test(err.problems.join('\n')));
});

test('docs/configuration.md is generated from the schema and current (npm run docs:config rewrites it)', () => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, renderConfigDocs(), 'docs/configuration.md is stale: run npm run docs:config');
  for (const field of configFields()) assert.ok(committed.includes(`\`${field.envNames[0]}\``), field.path);
});
