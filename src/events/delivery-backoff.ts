/**
 * Retry timing: before attempt n+1 (after n failed attempts) wait
 * min(max, base * 2^(n-1)) scaled by a random factor in [0.5, 1.5), capped at max. The jitter
 * spreads retries of many deliveries that failed together (a receiver outage) so they do not
 * come back as one burst.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export function backoffDelay(failedAttempts: number, options: BackoffOptions): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(failedAttempts - 1, 30)));
  const jittered = exp * (0.5 + (options.random ?? Math.random)());
  return Math.round(Math.min(options.maxMs, jittered));
}

/**
 * A receiver's `Retry-After` (seconds or an HTTP date) stretches the wait, never shortens it,
 * and never beyond `maxMs`: a receiver asking for a pause gets it, a bogus value is ignored.
 */
export function retryAfterDelay(computedMs: number, retryAfter: string | undefined, options: { maxMs: number; now?: number }): number {
  if (!retryAfter) return computedMs;
  const seconds = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) * 1000 : Date.parse(retryAfter) - (options.now ?? Date.now());
  if (!Number.isFinite(seconds) || seconds <= computedMs) return computedMs;
  return Math.min(options.maxMs, seconds);
}
