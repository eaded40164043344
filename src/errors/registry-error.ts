import { ERRORS, type ErrorName } from './registry.ts';

/**
 * The only error type handlers throw for expected failures. The HTTP layer renders it
 * (src/http/error-handler.ts); anything else becomes INTERNAL and is logged.
 */
export class RegistryError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(
    readonly name_: ErrorName,
    message?: string,
    readonly detail: unknown = undefined,
    /** Extra response headers (e.g. Warning: 299 on gate refusals, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    const d = ERRORS[name_];
    // A 4xx is an answer, not a fault: nothing reads its stack, and capturing one cost 11% of
    // the CPU of a login flood's refusals (bench/README.md). 5xx keep theirs for debugging.
    const stackTraceLimit = Error.stackTraceLimit;
    if (d.status < 500) Error.stackTraceLimit = 0;
    super(message ?? d.message);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = d.code;
    this.status = d.status;
  }
}

export const registryError = (
  name: ErrorName,
  message?: string,
  detail?: unknown,
  headers?: Record<string, string>,
) => new RegistryError(name, message, detail, headers);

/** The wire body for one or more errors. */
export function errorBody(errors: RegistryError[]) {
  return { errors: errors.map((e) => ({ code: e.code, message: e.message, detail: e.detail ?? {} })) };
}
