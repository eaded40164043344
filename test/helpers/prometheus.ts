/** Reading a Prometheus text-format scrape in tests. */
/** Parses the Prometheus text format into `name{labels}` -> value. */
export function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The value of `name` with exactly these labels (in prom-client's order-free match). */
export function value(scrape: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels);
  for (const [key, v] of scrape) {
    const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key)!;
    if (m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (have.size === want.length && want.every(([k, val]) => have.get(k) === val)) return v;
  }
  return 0;
}
