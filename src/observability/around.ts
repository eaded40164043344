/**
 * `Around`: how metrics and tracing wrap one operation (a blob-store call, a gate check)
 * without the wrapped code knowing about either. With both off nothing is wrapped at all
 * (`undefined`), so the cost when off is zero, not a no-op call.
 */
export type Around = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** Composes wrappers, outermost first; undefined when there is nothing to wrap. */
export function composeAround(...wrappers: (Around | undefined)[]): Around | undefined {
  const present = wrappers.filter((w): w is Around => w !== undefined);
  if (present.length === 0) return undefined;
  return present.reduceRight<Around>(
    (inner, outer) => (operation, fn) => outer(operation, () => inner(operation, fn)),
    (_operation, fn) => fn(),
  );
}

/** Times `fn` and reports seconds and whether it threw. */
export function timing(report: (operation: string, seconds: number, outcome: 'ok' | 'error') => void): Around {
  return async (operation, fn) => {
    const start = performance.now();
    try {
      const result = await fn();
      report(operation, (performance.now() - start) / 1000, 'ok');
      return result;
    } catch (err) {
      report(operation, (performance.now() - start) / 1000, 'error');
      throw err;
    }
  };
}
