/**
 * The error registry: every error the registry can answer with is declared here, once.
 *
 * A descriptor's `code` is what goes on the wire (`{"errors":[{"code","message","detail"}]}`,
 * the OCI distribution error format, which ACR also uses on /oauth2, /acr/v1 and which Lazaret
 * uses on /api/v1 too). `status` is the HTTP status. `message` is the default human text; a
 * thrower may give a more specific one. docs/errors.md is checked against this table by a test,
 * so adding an entry means documenting it.
 */
export interface ErrorDescriptor {
  /** Wire code. Several descriptors may share one wire code with different statuses. */
  readonly code: string;
  readonly status: number;
  readonly message: string;
  /** One sentence for docs/errors.md: when a client sees this. */
  readonly when: string;
}

const define = <T extends Record<string, ErrorDescriptor>>(t: T) => t;

export const ERRORS = define({
  // --- OCI distribution spec codes -------------------------------------------------------
  BLOB_UNKNOWN: { code: 'BLOB_UNKNOWN', status: 404, message: 'blob unknown to registry', when: 'The blob is not in this repository (or is hidden from the caller by the quarantine gate only where the table in docs/quarantine.md says so).' },
  BLOB_UPLOAD_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, message: 'blob upload invalid', when: 'An upload request is malformed: bad Content-Range, a chunk that does not continue the upload, a body on a request that takes none.' },
  BLOB_UPLOAD_OUT_OF_ORDER: { code: 'BLOB_UPLOAD_INVALID', status: 416, message: 'requested range not satisfiable: chunk does not start at the end of the upload', when: 'A PATCH whose Content-Range does not start where the upload currently ends.' },
  BLOB_UPLOAD_UNKNOWN: { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, message: 'blob upload unknown to registry', when: 'The upload session id is unknown, finished, cancelled or expired.' },
  DIGEST_INVALID: { code: 'DIGEST_INVALID', status: 400, message: 'provided digest did not match uploaded content', when: 'A digest is malformed, uses an unsupported algorithm, or does not match the bytes sent.' },
  MANIFEST_BLOB_UNKNOWN: { code: 'MANIFEST_BLOB_UNKNOWN', status: 400, message: 'manifest references a blob or manifest unknown to the repository', when: 'A pushed manifest references a config, layer or child manifest the repository does not have.' },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID', status: 400, message: 'manifest invalid', when: 'A pushed manifest is not valid JSON, does not match its declared media type, or misses required fields.' },
  MANIFEST_TOO_LARGE: { code: 'MANIFEST_INVALID', status: 413, message: 'manifest exceeds the 4 MiB size limit', when: 'A pushed manifest is larger than 4 MiB.' },
  MANIFEST_UNKNOWN: { code: 'MANIFEST_UNKNOWN', status: 404, message: 'manifest unknown', when: 'No manifest with that tag or digest in this repository (held manifests look like this to pull-only callers when asked for by tag).' },
  NAME_INVALID: { code: 'NAME_INVALID', status: 400, message: 'invalid repository name', when: 'A repository name does not match the OCI name grammar.' },
  NAME_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, message: 'repository name not known to registry', when: 'The repository does not exist.' },
  SIZE_INVALID: { code: 'SIZE_INVALID', status: 400, message: 'provided length did not match content length', when: 'A Content-Length or declared size does not match the bytes received.' },
  TAG_INVALID: { code: 'TAG_INVALID', status: 400, message: 'invalid tag', when: 'A tag does not match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', status: 401, message: 'authentication required', when: 'No credentials, or credentials that do not verify; the WWW-Authenticate header says where to get a token.' },
  DENIED: { code: 'DENIED', status: 403, message: 'requested access to the resource is denied', when: 'The caller is authenticated but lacks the permission the route needs.' },
  UNSUPPORTED: { code: 'UNSUPPORTED', status: 405, message: 'the operation is unsupported', when: 'The method is not supported on this resource (for example deleting a blob that is still referenced when deletes are disabled).' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'UNSUPPORTED', status: 415, message: 'unsupported media type', when: 'A request body has a Content-Type the endpoint does not accept.' },
  RANGE_INVALID: { code: 'RANGE_INVALID', status: 416, message: 'requested range not satisfiable', when: 'A blob GET with a Range header outside the blob.' },
  BLOB_UPLOAD_RANGE_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 416, message: 'Content-Range header is malformed', when: 'A PATCH or PUT to an upload whose Content-Range is not `<start>-<end>` (the Range response header tells where the upload stands).' },
  PAGINATION_NUMBER_INVALID: { code: 'PAGINATION_NUMBER_INVALID', status: 400, message: 'invalid number of results requested', when: 'The `n` query parameter of a tags list or catalog request is not a non-negative integer.' },
  TOO_MANY_REQUESTS: { code: 'TOOMANYREQUESTS', status: 429, message: 'too many requests', when: 'Too many failed logins for one identity or address: retry after the Retry-After delay.' },

  // --- Quarantine (ACR's code) ------------------------------------------------------------
  IMAGE_QUARANTINED: { code: 'IMAGE_QUARANTINED', status: 403, message: 'The operation is disallowed.', when: 'The manifest or blob is held by the quarantine gate and the caller lacks quarantine read. A Warning: 299 header names the verdict.' },
  OPERATION_DISALLOWED: { code: 'DENIED', status: 403, message: 'The operation is disallowed on this artifact.', when: 'A changeable attribute forbids it: writeEnabled, deleteEnabled or readEnabled is false.' },

  // --- Generic request errors (/oauth2, /acr/v1, /api/v1) ---------------------------------
  BAD_REQUEST: { code: 'BAD_REQUEST', status: 400, message: 'the request is invalid', when: 'A field of the request is missing or malformed; the message names the field.' },
  NOT_FOUND: { code: 'NOT_FOUND', status: 404, message: 'not found', when: 'The named resource (user, token, webhook, event...) does not exist.' },
  CONFLICT: { code: 'CONFLICT', status: 409, message: 'the resource already exists or changed', when: 'Creating something that exists, or a change that conflicts with current state.' },
  PAYLOAD_TOO_LARGE: { code: 'SIZE_INVALID', status: 413, message: 'request body too large', when: 'A JSON body over the endpoint limit.' },
  INTERNAL: { code: 'UNKNOWN', status: 500, message: 'internal server error', when: 'A bug or a storage failure; the request id in the log tells which.' },
  UNAVAILABLE: { code: 'UNAVAILABLE', status: 503, message: 'service unavailable', when: 'The registry is shutting down or a backing store is unreachable.' },
});

export type ErrorName = keyof typeof ERRORS;
