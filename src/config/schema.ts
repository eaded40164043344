/**
 * The one configuration schema. Defaults live here and nowhere else; docs/configuration.md
 * documents every field and a test keeps the two in step.
 *
 * Sources, later wins: defaults < config file (YAML or JSON, `--config FILE` or
 * LAZARET_CONFIG) < LAZARET_* environment variables (see ENV_OVERRIDES in load.ts).
 */
import { z } from 'zod';
import { parseCidr } from '../events/cidr.ts';

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]*):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:5000 or [::1]:5000');

/** A boolean that also accepts the strings an environment variable carries. */
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
/** A list of CIDRs (`10.0.0.0/8`, `::1/128`, a bare address); from the environment, comma-separated. */
const cidrList = z
  .preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v), z.array(z.string().refine((c) => parseCidr(c) !== undefined, { message: 'not a CIDR (e.g. 10.0.0.0/8 or fd00::/8)' })))
  .default([]);

export const configSchema = z
  .object({
    /** Address to listen on. Port 0 picks a free port (tests). */
    listen: listen.default('127.0.0.1:5000'),
    /** Public URL of the registry (token realm, event `request.host`, Location hosts). Derived from the request when unset. */
    baseUrl: z.url().optional(),
    /** The `service` name in tokens and challenges; defaults to the host of baseUrl, else the Host header. */
    service: z.string().min(1).optional(),
    /**
     * Addresses or CIDRs of the load balancers / reverse proxies in front of the registry. A
     * request from one of them is attributed to the client its X-Forwarded-For names (the login
     * throttle, logs, audit) and its X-Forwarded-Proto/Host are believed; from anywhere else
     * those headers are ignored. Empty: the connection's address is the client.
     */
    trustProxy: cidrList,
    dataDir: z.string().min(1).default('./data'),
    /** `postgres://...` for PostgreSQL; unset = SQLite at <dataDir>/lazaret.db. */
    databaseUrl: z.string().optional(),
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1) })
      .optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `json`: one JSON object per line (journald, log shippers). `pretty`: coloured lines for a terminal. */
        format: z.enum(['json', 'pretty']).default('json'),
      })
      .prefault({}),
    auth: z
      .object({
        /**
         * `token`: Docker token auth (the default). `none`: every request is treated as an
         * Owner-equivalent principal WITHOUT quarantine read; for local experiments and the
         * benchmark's "auth off" baseline. The server logs a warning at start.
         */
        mode: z.enum(['token', 'none']).default('token'),
        /** Initial admin password; generated and printed once when unset. */
        adminPassword: z.string().min(8).optional(),
        accessTokenTtlSeconds: z.number().int().min(30).max(86400).default(300),
        refreshTokenTtlSeconds: z.number().int().min(60).max(30 * 86400).default(3 * 3600),
      })
      .prefault({}),
    /** Webhook delivery (src/events, docs/webhooks.md). */
    events: z
      .object({
        /** Per-attempt timeout: connect, send and the response headers and body must finish within it. */
        attemptTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
        /** Attempts before a delivery is marked failed (dead letter, kept for redelivery). */
        maxAttempts: z.number().int().min(1).max(100).default(20),
        /** Backoff before retry n is min(max, base * 2^(n-1)), with +-50% jitter. */
        backoffBaseMs: z.number().int().min(10).max(3_600_000).default(5_000),
        backoffMaxMs: z.number().int().min(10).max(86_400_000).default(15 * 60_000),
        /** How often the dispatcher looks for due deliveries when nothing woke it. */
        pollIntervalMs: z.number().int().min(10).max(600_000).default(2_000),
        /** Deliveries in flight at once per registry process. */
        concurrency: z.number().int().min(1).max(256).default(16),
        /** Of those, at most this many to one webhook: a dead receiver cannot take every slot. */
        perWebhookConcurrency: z.number().int().min(1).max(256).default(4),
        /** Delivered deliveries (and their log) older than this are pruned; failed ones are kept. */
        retentionDays: z.number().int().min(1).max(3650).default(30),
      })
      .prefault({}),
    /** Where webhooks may deliver (src/events/webhook-destinations.ts, docs/webhooks.md). */
    webhooks: z
      .object({
        /** CIDRs webhooks may deliver to although refused by default (loopback, link-local, own addresses): e.g. 127.0.0.0/8. */
        allowDestinations: cidrList,
        /** CIDRs webhooks never deliver to (wins over allowDestinations). */
        denyDestinations: cidrList,
      })
      .prefault({}),
    /** Where blob bytes live (src/storage; docs/storage.md, docs/scale-out.md). */
    storage: z
      .object({
        /** `filesystem` (<dataDir>/blobs, one machine) or `s3` (a bucket several nodes share). */
        driver: z.enum(['filesystem', 's3']).default('filesystem'),
        /**
         * What is synced when a blob is committed: `data` (fdatasync the blob before its
         * rename: a committed blob is whole or absent after a power loss), `full` (also fsync
         * the directory: a committed blob survives a power loss), `off` (nothing: as CNCF
         * Distribution; a power loss can leave a committed name with missing bytes).
         */
        fsync: z.enum(['data', 'full', 'off']).default('data'),
        /** The S3 driver (src/storage/s3/); required when `driver` is `s3`. */
        s3: z
          .object({
            /** Bucket name (S3 rules: 3-63 lowercase letters, digits, dots, hyphens). */
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
            /** Key prefix inside the bucket (path segments of letters, digits, . _ -). */
            prefix: z
              .string()
              .max(512)
              .regex(/^\/?([A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]*$/, 'must be path segments of letters, digits, ".", "_" or "-"')
              .refine((p) => !p.split('/').some((seg) => seg === '.' || seg === '..'), 'must not contain "." or ".." segments')
              .default(''),
            region: z.string().min(1).default('us-east-1'),
            /** For S3-compatible servers (MinIO, Ceph RGW, R2, Garage): their URL. */
            endpoint: z.url({ protocol: /^https?$/ }).optional(),
            /** Path-style URLs (endpoint/bucket/key): MinIO and Ceph usually need it. */
            forcePathStyle: flag.default(false),
            /** Static keys; without them the SDK's default credential chain applies. */
            accessKeyId: z.string().min(1).optional(),
            secretAccessKey: z.string().min(1).optional(),
            /** Blob GETs answer 307 to a presigned URL (after the gate allowed the read). */
            redirect: flag.default(false),
            /** How long a presigned URL is valid. */
            redirectTtlSeconds: z.number().int().min(10).max(3600).default(300),
          })
          .strict()
          .refine((s) => (s.accessKeyId === undefined) === (s.secretAccessKey === undefined), {
            message: 'accessKeyId and secretAccessKey go together (or neither, for the default credential chain)',
          })
          .optional(),
      })
      .refine((s) => s.driver !== 's3' || s.s3 !== undefined, { message: 'driver s3 needs storage.s3.bucket', path: ['s3', 'bucket'] })
      .prefault({}),
    /** The scan orchestrator and the built-in scanner (src/scan, docs/scanning.md; the built-in scanner: docs/scanner.md). */
    scanner: z
      .object({
        /** `lazaret serve` starts `lazaret scanner serve` as a child and registers it as scanner `builtin` for every repository. */
        builtin: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
        /** The registry URL scanners pull from (`registry.url` of scan requests); default: baseUrl, else the listen address. */
        registryUrl: z.url().optional(),
        /** A finding at or above this severity fails an image (`never`: scans never fail an image). */
        failOn: z.enum(['Low', 'Medium', 'High', 'Critical', 'never']).default('Critical'),
        /** Each HTTP call to an adapter (metadata, submit, one report poll) must finish within this. */
        requestTimeoutSeconds: z.number().int().min(1).max(300).default(10),
        /** A submitted scan whose adapter cannot be polled for this long is submitted again. */
        startTimeoutSeconds: z.number().int().min(1).max(86400).default(60),
        /** A submitted scan without a report after this long is submitted again (the adapter may have lost it). */
        finishTimeoutSeconds: z.number().int().min(1).max(7 * 86400).default(1800),
        /** Submissions (and resubmissions) before a job fails; the image stays held. */
        maxAttempts: z.number().int().min(1).max(100).default(5),
        /** Scans in flight at once per scanner. */
        perScannerConcurrency: z.number().int().min(1).max(256).default(4),
        /** The first report poll comes this long after a submission (Harbor: 2 s). */
        firstPollMs: z.number().int().min(10).max(60_000).default(2_000),
        /** How long to wait after a `302` without Refresh-After (the Trivy adapter never sends it; Harbor: 5 s). */
        defaultRefreshMs: z.number().int().min(10).max(300_000).default(5_000),
        /** How often the registry reads each scanner's metadata (health, database time). */
        healthIntervalSeconds: z.number().int().min(1).max(86400).default(60),
        /** How often the dispatcher looks for due jobs when nothing woke it. */
        pollIntervalMs: z.number().int().min(10).max(600_000).default(1_000),
      })
      .prefault({}),
    /** Prometheus metrics (docs/operations.md "Metrics"). Off unless one of the two is set. */
    metrics: z
      .object({
        /** A separate address serving only GET /metrics, without authentication (bind it to a private network). */
        listen: listen.optional(),
        /** Also serve /metrics on the main port, to principals holding the `metrics` registry permission. */
        mainPort: z.boolean().default(false),
      })
      .prefault({}),
    /** /readyz: how long a successful blob-store write-read-delete probe is trusted. */
    readiness: z
      .object({
        blobProbeCacheSeconds: z.number().int().min(0).max(300).default(5),
      })
      .prefault({}),
    /** OpenTelemetry tracing (docs/operations.md "Tracing"). Off (and free) unless `endpoint` is set. */
    otel: z
      .object({
        /** OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
        endpoint: z.url().optional(),
        serviceName: z.string().min(1).default('lazaret'),
        /** Fraction of requests traced (parent-based: a traced caller's decision wins). */
        sampleRatio: z.number().min(0).max(1).default(1),
      })
      .prefault({}),
    uploads: z
      .object({
        /** Upload sessions idle for longer than this are removed with their temp data. */
        staleAfterSeconds: z.number().int().min(60).default(24 * 3600),
        /** Sessions that never received a byte are removed after this (sooner than staleAfterSeconds). */
        untouchedStaleAfterSeconds: z.number().int().min(60).default(15 * 60),
        /** Open upload sessions one principal may hold at once (over: 429 TOOMANYREQUESTS). */
        maxPerPrincipal: z.number().int().min(1).default(200),
        /** Open upload sessions one repository may hold at once (over: 429 TOOMANYREQUESTS). */
        maxPerRepository: z.number().int().min(1).default(500),
      })
      .prefault({}),
  })
  .strict();

export type LazaretConfig = z.infer<typeof configSchema>;
export type LazaretConfigInput = z.input<typeof configSchema>;
