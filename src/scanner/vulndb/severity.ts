/**
 * Severity from what an advisory carries (docs/scanner.md, "Severity"):
 * - a vendor label (GitHub's database_specific.severity LOW/MODERATE/HIGH/CRITICAL) wins;
 * - else a CVSS v3 vector's base score, rated as CVSS v3.1 does (0.1-3.9 Low, 4.0-6.9 Medium,
 *   7.0-8.9 High, 9.0-10.0 Critical); a CVSS v2 vector the same way when no v3 exists;
 * - Debian urgency: unimportant and low -> Low, medium -> Medium, high -> High;
 *   "not yet assigned", end-of-life and anything else -> Unknown;
 * - nothing -> Unknown (and the matcher may borrow the severity another source gives the same CVE).
 * Scores are computed by `vuln-vects` (CVSS v2, v3.0, v3.1) and `ae-cvss-calculator` (CVSS v4.0,
 * whose scores come from FIRST's lookup table, not a formula: not something to write by hand).
 */
import { parseCvss2Vector, parseCvss3Vector, validateCvss2Vector, validateCvss3Vector } from 'vuln-vects';
import cvssCalculator from 'ae-cvss-calculator';
import { SEVERITIES, type Severity } from '../types.ts';

export function ratingOf(score: number): Severity {
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  if (score > 0) return 'Low';
  return 'Unknown';
}

/** Base score of a CVSS v4.0, v3.x or v2 vector, or undefined when it is not one we can score. */
export function cvssBaseScore(vector: string): number | undefined {
  try {
    if (vector.startsWith('CVSS:4.0/')) return cvss4Score(vector);
    if (vector.startsWith('CVSS:3.')) return validateCvss3Vector(vector) ? round1(parseCvss3Vector(vector).baseScore) : undefined;
    if (!vector.startsWith('CVSS:') && validateCvss2Vector(vector)) return round1(parseCvss2Vector(vector).baseScore);
  } catch {
    return undefined;
  }
  return undefined;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The score of the vector as published (CVSS-B, or CVSS-BT etc. when the advisory gives threat
 * or environmental metrics: FIRST names the score after the groups used). The calculator
 * accepts partial vectors (a missing base metric is simply absent, `AV:X` scores 0), so only a
 * vector whose every part it applied and whose base metrics are all given is scored.
 */
function cvss4Score(vector: string): number | undefined {
  const parsed = new cvssCalculator.Cvss4P0();
  const parts = vector.split('/').length - 1;
  if (parsed.applyVectorCount(vector) !== parts || !parsed.isBaseFullyDefined()) return undefined;
  const score = parsed.calculateScores().overall;
  return typeof score === 'number' && Number.isFinite(score) ? round1(score) : undefined;
}

const LABELS: Record<string, Severity> = {
  unknown: 'Unknown',
  none: 'Unknown',
  negligible: 'Low',
  unimportant: 'Low',
  low: 'Low',
  moderate: 'Medium',
  medium: 'Medium',
  important: 'High',
  high: 'High',
  critical: 'Critical',
};

/** A vendor's severity word (GitHub, Ubuntu, Red Hat, Debian urgency) as a Harbor severity. */
export function severityFromLabel(label: unknown): Severity | undefined {
  if (typeof label !== 'string') return undefined;
  // Debian marks derived urgencies with trailing stars ("low**"); they mean the same level.
  return LABELS[label.trim().toLowerCase().replace(/[^a-z]/g, '')];
}

export const severityRank = (s: Severity) => SEVERITIES.indexOf(s);
export const maxSeverity = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);
