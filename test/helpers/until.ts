/**
 * Polls `fn` until it returns something truthy (a verdict set, a job finished), or fails after
 * `ms` naming what it waited for and the last error `fn` threw. For state that background work
 * (the scan dispatcher, policy re-evaluation) changes a little later than the request.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000, stepMs = 50): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
