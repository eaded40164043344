/**
 * The one configuration schema (TypeBox). Defaults, descriptions and constraints live here and
 * nowhere else: the loader (load.ts) validates against it, the environment variable names are
 * derived from its paths (env.ts), and docs/configuration.md is generated from it
 * (`npm run docs:config`; a test fails when the file is stale).
 *
 * Sources, later wins: defaults < config file (YAML or JSON, `--config FILE` or
 * LAZARET_CONFIG) < LAZARET_* environment variables.
 *
 * Annotations beyond JSON Schema: `errorMessage` replaces the validator's generic wording for a
 * pattern or format failure; `envAliases` lists environment names kept working besides the
 * derived one (names that existed before the names were derived).
 */
import { Type, type Static, type TSchema } from 'typebox';
import { parseCidr } from '../events/index.ts';

const listen = (options: { description?: string; default?: string } = {}) =>
  Type.String({ pattern: '^(\\[[0-9a-fA-F:]+\\]|[a-zA-Z0-9.-]*):\\d{1,5}$', errorMessage: 'must be HOST:PORT, e.g. 127.0.0.1:5000 or [::1]:5000', ...options });
const url = (description: string) => Type.Optional(Type.String({ format: 'url', errorMessage: 'must be a URL', description }));
const int = (minimum: number, maximum: number | undefined, fallback: number, description: string, extra: Record<string, unknown> = {}) =>
  Type.Integer({ minimum, ...(maximum === undefined ? {} : { maximum }), default: fallback, description, ...extra });
const oneOf = <const V extends string[]>(values: [...V], fallback: V[number], description: string, extra: Record<string, unknown> = {}) =>
  Type.Enum(values, { default: fallback, description, ...extra });
const flag = (fallback: boolean, description: string) => Type.Boolean({ default: fallback, description });
/** A list of CIDRs (`10.0.0.0/8`, `::1/128`, a bare address); from the environment, comma-separated. */
const cidrList = (description: string) =>
  Type.Array(Type.Refine(Type.String(), (c) => parseCidr(c) !== undefined, () => 'not a CIDR (e.g. 10.0.0.0/8 or fd00::/8)'), { default: [], description });
const section = <P extends Record<string, TSchema>>(description: string, properties: P) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description });

const s3 = Type.Object(
  {
    bucket: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', errorMessage: 'must be a valid S3 bucket name', description: 'Bucket name (S3 rules: 3-63 lowercase letters, digits, dots, hyphens).' }),
    prefix: Type.Refine(
      Type.String({ maxLength: 512, pattern: '^\\/?([A-Za-z0-9._-]+\\/)*[A-Za-z0-9._-]*$', errorMessage: 'must be path segments of letters, digits, ".", "_" or "-"', default: '', description: 'Key prefix inside the bucket (path segments of letters, digits, `.` `_` `-`).' }),
      (p) => !p.split('/').some((seg) => seg === '.' || seg === '..'),
      () => 'must not contain "." or ".." segments',
    ),
    region: Type.String({ minLength: 1, default: 'us-east-1', description: 'The bucket\'s region.' }),
    endpoint: Type.Optional(Type.String({ format: 'url', pattern: '^https?://', errorMessage: 'must be an http:// or https:// URL', description: 'For S3-compatible servers (MinIO, Ceph RGW, R2, Garage): their URL.' })),
    forcePathStyle: flag(false, 'Path-style URLs (endpoint/bucket/key): MinIO and Ceph usually need it.'),
    accessKeyId: Type.Optional(Type.String({ minLength: 1, description: 'Static access key; without a key pair the SDK\'s default credential chain applies.' })),
    secretAccessKey: Type.Optional(Type.String({ minLength: 1, secret: true, description: 'The static key\'s secret (goes with accessKeyId).' })),
    redirect: flag(false, 'Blob GETs answer 307 to a presigned URL (after the gate allowed the read).'),
    redirectTtlSeconds: int(10, 3600, 300, 'How long a presigned URL is valid.', { envAliases: ['LAZARET_STORAGE_S3_REDIRECT_TTL'] }),
    uploadLeaseSeconds: int(1, 3600, 60, 'How long a node\'s claim on an open upload outlives its last renewal. A node that dies in the middle of a chunk leaves its claim behind; the client\'s retry of that chunk (on any node) is answered 416 until the claim expires (docs/scale-out.md "How uploads work across nodes"). Longer than the slowest part upload (8 MiB) to the bucket.'),
  },
  { additionalProperties: false, description: 'The S3 driver; required when `storage.driver` is `s3`.' },
);

export const configSchema = Type.Object(
  {
    listen: listen({ default: '127.0.0.1:5000', description: 'Address to listen on. Port 0 picks a free port (tests).' }),
    baseUrl: url('Public URL of the registry (token realm, event `request.host`, Location hosts). Derived from the request when unset.'),
    service: Type.Optional(Type.String({ minLength: 1, description: 'The `service` name in tokens and challenges; defaults to the host of baseUrl, else the Host header.' })),
    trustProxy: cidrList('Addresses or CIDRs of the load balancers / reverse proxies in front of the registry. A request from one of them is attributed to the client its X-Forwarded-For names (the login throttle, logs, audit) and its X-Forwarded-Proto/Host are believed; from anywhere else those headers are ignored. Empty: the connection\'s address is the client (docs/scale-out.md).'),
    dataDir: Type.String({ minLength: 1, default: './data', description: 'Directory for local state: the SQLite database (unless databaseUrl is set), the filesystem driver\'s blobs, upload data.' }),
    databaseUrl: Type.Optional(Type.String({ description: '`postgres://...` for PostgreSQL; unset = SQLite at `<dataDir>/lazaret.db`.' })),
    workers: int(0, 64, 1, '`lazaret serve` processes sharing the port (node:cluster; docs/scale-out.md "Workers"): 1 = a single process (the default), 0 = one per CPU. `serve --workers N` overrides it.'),
    tls: Type.Optional(
      Type.Object(
        {
          cert: Type.String({ minLength: 1, description: 'PEM certificate file; with tls.key the registry serves HTTPS (the Azure SDK and remote docker clients need it).' }),
          key: Type.String({ minLength: 1, description: 'PEM private key file.' }),
        },
        { additionalProperties: false, description: 'Serve HTTPS; both files or neither.' },
      ),
    ),
    log: section('Logging.', {
      level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info', 'Lowest level logged (pino JSON logs with a request id).'),
      format: oneOf(['json', 'pretty'], 'json', '`json`: one JSON object per line (journald, log shippers). `pretty`: coloured lines for a terminal.'),
    }),
    auth: section('Authentication (docs/auth.md).', {
      mode: oneOf(['token', 'none'], 'token', '`token`: Docker token auth. `none`: every request is treated as an Owner-equivalent principal WITHOUT quarantine read; for local experiments and the benchmark\'s "auth off" baseline (a warning is logged at start).'),
      adminPassword: Type.Optional(Type.String({ minLength: 8, secret: true, envAliases: ['LAZARET_ADMIN_PASSWORD'], description: 'Initial admin password (at least 8 characters); generated and printed once when unset.' })),
      accessTokenTtlSeconds: int(30, 86400, 300, 'Lifetime of an access token.', { envAliases: ['LAZARET_ACCESS_TOKEN_TTL'] }),
      refreshTokenTtlSeconds: int(60, 30 * 86400, 3 * 3600, 'Lifetime of a refresh token.', { envAliases: ['LAZARET_REFRESH_TOKEN_TTL'] }),
    }),
    events: section('Webhook delivery (docs/webhooks.md).', {
      attemptTimeoutMs: int(100, 300_000, 10_000, 'Per-attempt timeout: connect, send and the response headers and body must finish within it.'),
      maxAttempts: int(1, 100, 20, 'Attempts before a delivery is marked failed (dead letter, kept for redelivery).'),
      backoffBaseMs: int(10, 3_600_000, 5_000, 'Backoff before retry n is min(max, base * 2^(n-1)), with +-50% jitter.'),
      backoffMaxMs: int(10, 86_400_000, 15 * 60_000, 'Upper bound of the retry backoff.'),
      pollIntervalMs: int(10, 600_000, 2_000, 'How often the dispatcher looks for due deliveries when nothing woke it.'),
      concurrency: int(1, 256, 16, 'Deliveries in flight at once per registry process.'),
      perWebhookConcurrency: int(1, 256, 4, 'Of those, at most this many to one webhook: a dead receiver cannot take every slot.'),
      retentionDays: int(1, 3650, 30, 'Delivered deliveries (and their log) older than this are pruned; failed ones are kept.'),
    }),
    webhooks: section('Where webhooks may deliver (docs/webhooks.md).', {
      allowDestinations: cidrList('CIDRs webhooks may deliver to although refused by default (loopback, link-local, own addresses): e.g. 127.0.0.0/8.'),
      denyDestinations: cidrList('CIDRs webhooks never deliver to (wins over allowDestinations).'),
    }),
    storage: section('Where blob bytes live (docs/storage.md, docs/scale-out.md).', {
      driver: oneOf(['filesystem', 's3'], 'filesystem', '`filesystem` (`<dataDir>/blobs`, one machine) or `s3` (a bucket several nodes share).'),
      fsync: oneOf(['data', 'full', 'off'], 'data', 'What is synced when a blob is committed: `data` (fdatasync the blob before its rename: a committed blob is whole or absent after a power loss), `full` (also fsync the directory: a committed blob survives a power loss), `off` (nothing, as CNCF Distribution; a power loss can leave a committed name with missing bytes).'),
      s3: Type.Optional(s3),
    }),
    scanner: section('The scan orchestrator and the built-in scanner (docs/scanning.md, docs/scanner.md).', {
      builtin: flag(true, '`lazaret serve` starts `lazaret scanner serve` as a child and registers it as scanner `builtin` for every repository.'),
      registryUrl: url('The registry URL scanners pull from (`registry.url` of scan requests); default: baseUrl, else the listen address.'),
      failOn: oneOf(['Low', 'Medium', 'High', 'Critical', 'never'], 'Critical', 'A finding at or above this severity fails an image (`never`: scans never fail an image).'),
      requestTimeoutSeconds: int(1, 300, 10, 'Each HTTP call to an adapter (metadata, submit, one report poll) must finish within this.', { envAliases: ['LAZARET_SCANNER_REQUEST_TIMEOUT'] }),
      startTimeoutSeconds: int(1, 86400, 60, 'A submitted scan whose adapter cannot be polled for this long is submitted again.', { envAliases: ['LAZARET_SCANNER_START_TIMEOUT'] }),
      finishTimeoutSeconds: int(1, 7 * 86400, 1800, 'A submitted scan without a report after this long is submitted again (the adapter may have lost it).', { envAliases: ['LAZARET_SCANNER_FINISH_TIMEOUT'] }),
      maxAttempts: int(1, 100, 5, 'Submissions (and resubmissions) before a job fails; the image stays held.'),
      perScannerConcurrency: int(1, 256, 4, 'Scans in flight at once per scanner.'),
      firstPollMs: int(10, 60_000, 2_000, 'The first report poll comes this long after a submission.'),
      defaultRefreshMs: int(10, 300_000, 5_000, 'How long to wait after a `302` without Refresh-After.'),
      healthIntervalSeconds: int(1, 86400, 60, 'How often the registry reads each scanner\'s metadata (health, database time).', { envAliases: ['LAZARET_SCANNER_HEALTH_INTERVAL'] }),
      pollIntervalMs: int(10, 600_000, 1_000, 'How often the dispatcher looks for due jobs when nothing woke it.'),
    }),
    metrics: section('Prometheus metrics (docs/operations.md "Metrics"). Off unless one of the two is set.', {
      listen: Type.Optional(listen({ description: 'A separate address serving only GET /metrics, without authentication (bind it to a private network).' })),
      mainPort: flag(false, 'Also serve /metrics on the main port, to principals holding the `metrics` registry permission (Owner, Contributor, Reader).'),
    }),
    readiness: section('/readyz (docs/operations.md).', {
      blobProbeCacheSeconds: int(0, 300, 5, 'How long a successful blob-store write-read-delete probe is trusted.'),
    }),
    otel: section('OpenTelemetry tracing (docs/operations.md "Tracing"). Off (and free) unless `endpoint` is set.', {
      endpoint: url('OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces.'),
      serviceName: Type.String({ minLength: 1, default: 'lazaret', description: 'The `service.name` resource attribute.' }),
      sampleRatio: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Fraction of requests traced (parent-based: a traced caller\'s decision wins).' }),
    }),
    gc: section('Garbage collection of blobs no image references (src/lifecycle/gc, docs/storage-lifecycle.md).', {
      gracePeriodSeconds: int(0, undefined, 24 * 3600, 'Unreferenced blobs (a deleted image\'s) are kept at least this long before a run deletes them.'),
      inFlightSeconds: int(0, undefined, 3600, 'Blobs uploaded but not yet referenced by any manifest count as a push in progress at least this long, whatever the grace period.'),
      intervalSeconds: int(0, undefined, 24 * 3600, 'A run starts this often on some node (0: only on demand, `lazaret gc run`).'),
    }),
    uploads: section('Blob upload sessions.', {
      staleAfterSeconds: int(60, undefined, 24 * 3600, 'Upload sessions idle for longer than this are removed with their temp data.', { envAliases: ['LAZARET_UPLOAD_STALE_AFTER'] }),
      untouchedStaleAfterSeconds: int(60, undefined, 15 * 60, 'Sessions that never received a byte are removed after this (sooner than staleAfterSeconds).', { envAliases: ['LAZARET_UPLOAD_UNTOUCHED_STALE_AFTER'] }),
      maxPerPrincipal: int(1, undefined, 200, 'Open upload sessions one principal may hold at once (over: 429 TOOMANYREQUESTS).', { envAliases: ['LAZARET_UPLOAD_MAX_PER_PRINCIPAL'] }),
      maxPerRepository: int(1, undefined, 500, 'Open upload sessions one repository may hold at once (over: 429 TOOMANYREQUESTS).', { envAliases: ['LAZARET_UPLOAD_MAX_PER_REPOSITORY'] }),
    }),
    recycleBin: section('Soft delete (docs/storage-lifecycle.md "Soft delete"). Off unless `days` is set.', {
      days: int(0, 3650, 0, 'Deleted manifests stay in the recycle bin this many days (restorable by an Owner) before garbage collection purges them; 0 deletes at once.'),
    }),
  },
  { additionalProperties: false },
);

export type LazaretConfig = Static<typeof configSchema>;

/**
 * Rules across fields, checked after the schema: the path the problem is reported at, the
 * fields whose sources the message names (default: the path's), the rule and its message.
 */
export const configRules: { path: string; causes?: string[]; holds: (c: LazaretConfig) => boolean; message: string }[] = [
  { path: 'storage.s3.bucket', causes: ['storage.driver'], holds: (c) => c.storage.driver !== 's3' || c.storage.s3 !== undefined, message: 'driver s3 needs storage.s3.bucket' },
  {
    path: 'storage.s3',
    holds: (c) => c.storage.s3 === undefined || (c.storage.s3.accessKeyId === undefined) === (c.storage.s3.secretAccessKey === undefined),
    message: 'accessKeyId and secretAccessKey go together (or neither, for the default credential chain)',
  },
];
