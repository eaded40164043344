/**
 * Durations as people write them: `0s`, `90s`, `15m`, `24h`, `7d`, `1h30m` (units ms, s, m, h,
 * d; no unit: seconds). The CLI's `--grace-period` and /api/v1/gc's `gracePeriod` read this.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds, or undefined when `text` is not a duration (negative, empty, unknown unit, absurdly long). */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  if (!/^(\d+(ms|s|m|h|d))+$/.test(t)) return undefined;
  let total = 0;
  for (const [, n, unit] of t.matchAll(PART)) total += Number(n) * UNIT_MS[unit!]!;
  return Number.isSafeInteger(total) && total <= 3650 * UNIT_MS.d! ? total : undefined;
}

/** `86400000` → `24h`, `90000` → `1m30s`, `604800000` → `7d`: exact, in the units people say. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let left = ms;
  let out = '';
  const units = ms % UNIT_MS.d! === 0 && ms >= 2 * UNIT_MS.d! ? ['d'] : ['h', 'm', 's', 'ms'];
  for (const unit of units) {
    const size = UNIT_MS[unit]!;
    if (left >= size) {
      out += `${Math.floor(left / size)}${unit}`;
      left %= size;
    }
  }
  return out;
}
