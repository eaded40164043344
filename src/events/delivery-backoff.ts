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
