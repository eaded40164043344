/**
 * The S3 client the S3 driver uses, and the translation of SDK failures into StorageError.
 *
 * Decisions:
 * - Timeouts: 5 s to connect; a GetObject fails after 30 s of silence from the server (before
 *   or during the body: get-object-handler.ts), other requests keep the SDK handler's
 *   connectionTimeout and requestTimeout (30 s, to the answer's head); the SDK's standard retry
 *   mode (4 attempts, exponential backoff with jitter) on 5xx, throttling and network errors.
 *   A bucket that does not answer is a StorageError `unavailable` (503 on /v2) within about a
 *   minute at worst, never a hang.
 * - Checksums only when an operation requires them: recent SDKs add CRC32 trailers to every
 *   upload by default, which several S3-compatible servers (older MinIO, Ceph RGW, s3rver) refuse.
 * - Without keys the SDK's default credential chain applies (environment, profile, IMDS, IRSA).
 * - GetObject bodies are read by our own reader (get-object-handler.ts: reused buffers, below
 *   node:http), every other request by the SDK's node:http handler, with the same timeouts.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { StorageError, storageErrors } from '../errors.ts';
import { GetObjectHandler } from './get-object-handler.ts';

export interface S3Settings {
  bucket: string;
  /** Key prefix (no leading slash; a trailing one is added). Empty: the bucket's root. */
  prefix?: string;
  region?: string;
  /** For S3-compatible servers (MinIO, Ceph RGW, R2, Garage, s3rver). */
  endpoint?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** Timeouts in ms; only tests pass them (to watch a timeout happen in well under a minute). */
export interface S3Timeouts {
  connectionTimeout?: number;
  socketTimeout?: number;
}

export function createS3Client(s: S3Settings, timeouts: S3Timeouts = {}): S3Client {
  const connectionTimeout = timeouts.connectionTimeout ?? 5_000;
  const socketTimeout = timeouts.socketTimeout ?? 30_000;
  // The pinned SDK (package.json) supports Node 20; its notice that versions published after
  // January 2027 will need Node 22 concerns upgrades of this pin, not operators: silenced
  // unless the operator set the variable themselves (docs/scale-out.md).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: s.region ?? 'us-east-1',
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.forcePathStyle ?? false,
    ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
    maxAttempts: 4,
    retryMode: 'standard',
    requestHandler: new GetObjectHandler({
      connectionTimeout,
      socketTimeout,
      // The same settings every request had before GetObject got its own reader.
      fallback: new NodeHttpHandler({ connectionTimeout, requestTimeout: socketTimeout }),
    }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/** True for "the key (or upload) does not exist". */
export function isMissing(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return ['NoSuchKey', 'NotFound', 'NoSuchUpload'].includes(err.name) || (err instanceof S3ServiceException && statusOf(err) === 404 && err.name !== 'NoSuchBucket');
}

/**
 * Any other SDK failure as a StorageError `unavailable` whose message says what is wrong (a
 * missing bucket, refused credentials, an endpoint that does not answer), without secrets.
 */
export function toStorageError(err: unknown, bucket: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = err as Error & { code?: string };
  const name = e?.name ?? 'Error';
  let what: string;
  if (name === 'NoSuchBucket') what = `bucket ${bucket} does not exist`;
  else if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'CredentialsProviderError'].includes(name) || statusOf(err) === 403)
    what = `access to bucket ${bucket} refused (${name}): check the credentials and the bucket policy`;
  else if (name === 'TimeoutError' || e?.code === 'ETIMEDOUT') what = 'the S3 endpoint did not answer in time';
  else if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === 'ECONNRESET' || e?.code === 'EAI_AGAIN')
    what = `the S3 endpoint is unreachable (${e.code})`;
  else what = `S3 request failed: ${name}${statusOf(err) ? ` (HTTP ${statusOf(err)})` : ''}: ${String(e?.message ?? err).slice(0, 200)}`;
  return storageErrors.unavailable(what, err);
}
