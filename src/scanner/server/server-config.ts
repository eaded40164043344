/**
 * `lazaret scanner serve` configuration, from LAZARET_SCANNER_* variables (docs/scanner.md).
 * The scanner is its own process with its own small set of settings; the registry's config
 * file is not read (`lazaret serve` passes these variables when it starts the built-in one).
 */
import { join } from 'node:path';
import { DEFAULT_SCAN_LIMITS, type ScanLimits } from '../image/limits.ts';

export interface ScannerAuthConfig {
  /** Accepted in `X-ScannerAdapter-API-Key`. */
  apiKey?: string;
  /** Accepted as `Authorization: Bearer TOKEN`. */
  bearerToken?: string;
  /** Accepted as `Authorization: Basic` with this user and password. */
  basic?: { user: string; password: string };
}

export interface ScannerServerConfig {
  host: string;
  port: number;
  dataDir: string;
  auth: ScannerAuthConfig;
  concurrency: number;
  limits: ScanLimits;
  /** Seconds a client is told to wait before polling a report again. */
  refreshAfterSeconds: number;
  /** Jobs (and their reports) are forgotten this long after they were submitted. */
  jobRetentionMs: number;
  logLevel: string;
}

function intOf(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export function scannerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ScannerServerConfig {
  const listen = env.LAZARET_SCANNER_LISTEN || '127.0.0.1:5001';
  const m = /^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]*):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new Error(`LAZARET_SCANNER_LISTEN must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const auth: ScannerAuthConfig = {};
  if (env.LAZARET_SCANNER_API_KEY) auth.apiKey = env.LAZARET_SCANNER_API_KEY;
  if (env.LAZARET_SCANNER_BEARER_TOKEN) auth.bearerToken = env.LAZARET_SCANNER_BEARER_TOKEN;
  if (env.LAZARET_SCANNER_BASIC_USER || env.LAZARET_SCANNER_BASIC_PASSWORD) {
    if (!env.LAZARET_SCANNER_BASIC_USER || !env.LAZARET_SCANNER_BASIC_PASSWORD) throw new Error('LAZARET_SCANNER_BASIC_USER and LAZARET_SCANNER_BASIC_PASSWORD go together');
    auth.basic = { user: env.LAZARET_SCANNER_BASIC_USER, password: env.LAZARET_SCANNER_BASIC_PASSWORD };
  }
  return {
    host: m[1].replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(m[2]),
    dataDir: env.LAZARET_SCANNER_DATA_DIR || join(env.LAZARET_DATA_DIR || './data', 'scanner'),
    auth,
    concurrency: intOf(env, 'LAZARET_SCANNER_CONCURRENCY', 2, 1),
    limits: {
      ...DEFAULT_SCAN_LIMITS,
      maxLayerBytes: intOf(env, 'LAZARET_SCANNER_MAX_LAYER_BYTES', DEFAULT_SCAN_LIMITS.maxLayerBytes, 1024),
      maxCompressionRatio: intOf(env, 'LAZARET_SCANNER_MAX_COMPRESSION_RATIO', DEFAULT_SCAN_LIMITS.maxCompressionRatio, 2),
      ratioGraceBytes: intOf(env, 'LAZARET_SCANNER_RATIO_GRACE_BYTES', DEFAULT_SCAN_LIMITS.ratioGraceBytes, 0),
      maxFileBytes: intOf(env, 'LAZARET_SCANNER_MAX_FILE_BYTES', DEFAULT_SCAN_LIMITS.maxFileBytes, 1024),
    },
    refreshAfterSeconds: intOf(env, 'LAZARET_SCANNER_REFRESH_AFTER_SECONDS', 2, 1),
    jobRetentionMs: intOf(env, 'LAZARET_SCANNER_JOB_RETENTION_HOURS', 24, 1) * 3_600_000,
    logLevel: env.LAZARET_LOG_LEVEL || 'info',
  };
}
