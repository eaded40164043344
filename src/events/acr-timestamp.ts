/**
 * ACR's timestamp format: ISO-8601 UTC with exactly 7 fractional digits (100 ns ticks), e.g.
 * `2018-02-28T00:42:54.4509516Z`. Used by event payloads and shared with /acr/v1 attributes.
 *
 * A JS Date only has milliseconds; the optional fractional part of `ms` (as from
 * `performance.timeOrigin + performance.now()`) fills the extra digits, so two events raised in
 * the same millisecond usually still order by timestamp.
 */
export function formatAcrTimestamp(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  const whole = Math.floor(ms);
  // Sub-millisecond part in 100 ns ticks (0..9999).
  // Floor: a double near 1.7e12 ms only resolves ~0.25 us, so the last digit is best effort.
  const ticks = Math.min(9999, Math.max(0, Math.floor((ms - whole) * 10_000)));
  const iso = new Date(whole).toISOString(); // 2018-02-28T00:42:54.450Z
  return `${iso.slice(0, 23)}${String(ticks).padStart(4, '0')}Z`;
}

/** Milliseconds since the epoch with sub-millisecond precision, for formatAcrTimestamp. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
