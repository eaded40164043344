/**
 * Reads the configuration: defaults, then a file, then LAZARET_* environment overrides.
 * Errors name the field (`auth.mode: Invalid option ...`).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type LazaretConfig } from './schema.ts';

/** Environment variable -> config path. Numbers are parsed; everything else is a string. */
export const ENV_OVERRIDES: Record<string, string> = {
  LAZARET_LISTEN: 'listen',
  LAZARET_BASE_URL: 'baseUrl',
  LAZARET_SERVICE: 'service',
  LAZARET_DATA_DIR: 'dataDir',
  LAZARET_DATABASE_URL: 'databaseUrl',
  LAZARET_TLS_CERT: 'tls.cert',
  LAZARET_TLS_KEY: 'tls.key',
  LAZARET_LOG_LEVEL: 'log.level',
  LAZARET_LOG_FORMAT: 'log.format',
  LAZARET_METRICS_LISTEN: 'metrics.listen',
  LAZARET_OTEL_ENDPOINT: 'otel.endpoint',
  LAZARET_AUTH_MODE: 'auth.mode',
  LAZARET_ADMIN_PASSWORD: 'auth.adminPassword',
  LAZARET_ACCESS_TOKEN_TTL: 'auth.accessTokenTtlSeconds',
  LAZARET_REFRESH_TOKEN_TTL: 'auth.refreshTokenTtlSeconds',
  LAZARET_UPLOAD_STALE_AFTER: 'uploads.staleAfterSeconds',
  LAZARET_UPLOAD_UNTOUCHED_STALE_AFTER: 'uploads.untouchedStaleAfterSeconds',
  LAZARET_UPLOAD_MAX_PER_PRINCIPAL: 'uploads.maxPerPrincipal',
  LAZARET_UPLOAD_MAX_PER_REPOSITORY: 'uploads.maxPerRepository',
  LAZARET_STORAGE_FSYNC: 'storage.fsync',
  LAZARET_STORAGE_DRIVER: 'storage.driver',
  LAZARET_STORAGE_S3_BUCKET: 'storage.s3.bucket',
  LAZARET_STORAGE_S3_PREFIX: 'storage.s3.prefix',
  LAZARET_STORAGE_S3_REGION: 'storage.s3.region',
  LAZARET_STORAGE_S3_ENDPOINT: 'storage.s3.endpoint',
  LAZARET_STORAGE_S3_FORCE_PATH_STYLE: 'storage.s3.forcePathStyle',
  LAZARET_STORAGE_S3_ACCESS_KEY_ID: 'storage.s3.accessKeyId',
  LAZARET_STORAGE_S3_SECRET_ACCESS_KEY: 'storage.s3.secretAccessKey',
  LAZARET_STORAGE_S3_REDIRECT: 'storage.s3.redirect',
  LAZARET_STORAGE_S3_REDIRECT_TTL: 'storage.s3.redirectTtlSeconds',
  LAZARET_EVENTS_ATTEMPT_TIMEOUT_MS: 'events.attemptTimeoutMs',
  LAZARET_EVENTS_MAX_ATTEMPTS: 'events.maxAttempts',
  LAZARET_EVENTS_BACKOFF_BASE_MS: 'events.backoffBaseMs',
  LAZARET_EVENTS_BACKOFF_MAX_MS: 'events.backoffMaxMs',
  LAZARET_EVENTS_POLL_INTERVAL_MS: 'events.pollIntervalMs',
  LAZARET_EVENTS_CONCURRENCY: 'events.concurrency',
  LAZARET_EVENTS_PER_WEBHOOK_CONCURRENCY: 'events.perWebhookConcurrency',
  LAZARET_EVENTS_RETENTION_DAYS: 'events.retentionDays',
  LAZARET_SCANNER_BUILTIN: 'scanner.builtin',
  LAZARET_SCANNER_FAIL_ON: 'scanner.failOn',
  LAZARET_SCANNER_REGISTRY_URL: 'scanner.registryUrl',
  LAZARET_SCANNER_REQUEST_TIMEOUT: 'scanner.requestTimeoutSeconds',
  LAZARET_SCANNER_START_TIMEOUT: 'scanner.startTimeoutSeconds',
  LAZARET_SCANNER_FINISH_TIMEOUT: 'scanner.finishTimeoutSeconds',
  LAZARET_SCANNER_MAX_ATTEMPTS: 'scanner.maxAttempts',
  LAZARET_SCANNER_PER_SCANNER_CONCURRENCY: 'scanner.perScannerConcurrency',
  LAZARET_SCANNER_FIRST_POLL_MS: 'scanner.firstPollMs',
  LAZARET_SCANNER_DEFAULT_REFRESH_MS: 'scanner.defaultRefreshMs',
  LAZARET_SCANNER_HEALTH_INTERVAL: 'scanner.healthIntervalSeconds',
  LAZARET_SCANNER_POLL_INTERVAL_MS: 'scanner.pollIntervalMs',
  LAZARET_TRUST_PROXY: 'trustProxy',
  LAZARET_WEBHOOKS_ALLOW_DESTINATIONS: 'webhooks.allowDestinations',
  LAZARET_WEBHOOKS_DENY_DESTINATIONS: 'webhooks.denyDestinations',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

export function readConfigFile(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`${file}: the top level must be a mapping`]);
  return parsed as Record<string, unknown>;
}

/** Validates a raw object; throws ConfigError with one line per problem. */
export function validateConfig(raw: unknown): LazaretConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
  );
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): LazaretConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.LAZARET_CONFIG;
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, /^\d+$/.test(value) && /Seconds|Ttl|After|^events\.|^scanner\./i.test(path) ? Number(value) : value);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) setPath(raw, path, value);
  return validateConfig(raw);
}
