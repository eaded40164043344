/**
 * `quarantineDetails`: a STRING holding JSON that must match ACR's quarantine-details schema
 * (ACR's API reference 1.2, JSON Schema draft-04). Validated by hand because the schema is tiny
 * and a dependency for it would be larger than the check.
 *
 * Top level: object, additionalProperties false, nothing required:
 *   scanner: string, state: string, link: string, result: summary
 * summary: object, required [version, summary], other properties allowed:
 *   version: string (any string: real scanners put timestamps there),
 *   summary: array of at most 5 objects { severity?: Critical|High|Medium|Low|None, count?: integer },
 *   description?: string of at most 1024 characters.
 *
 * The string is stored and returned verbatim; this module only decides whether it is valid.
 */

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'None'] as const;

/** Upper bound for the stored string, so one verdict cannot bloat the store. */
export const MAX_DETAILS_LENGTH = 64 * 1024;

export type DetailsCheck = { ok: true } | { ok: false; field: string; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a quarantineDetails string. `field` in a failure is a JSON path like `quarantineDetails.result.summary[1].count`. */
export function checkQuarantineDetails(details: string): DetailsCheck {
  const root = 'quarantineDetails';
  const fail = (field: string, problem: string): DetailsCheck => ({ ok: false, field, problem });
  if (details.length > MAX_DETAILS_LENGTH) return fail(root, `must be at most ${MAX_DETAILS_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(details);
  } catch (err) {
    return fail(root, `must be a string holding JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) return fail(root, 'must hold a JSON object');
  for (const [key, v] of Object.entries(value)) {
    const field = `${root}.${key}`;
    switch (key) {
      case 'scanner':
      case 'state':
      case 'link':
        if (typeof v !== 'string') return fail(field, 'must be a string');
        break;
      case 'result': {
        const r = checkSummary(v, field);
        if (!r.ok) return r;
        break;
      }
      default:
        return fail(field, 'is not allowed (allowed: scanner, state, link, result)');
    }
  }
  return { ok: true };
}

function checkSummary(v: unknown, path: string): DetailsCheck {
  const fail = (field: string, problem: string): DetailsCheck => ({ ok: false, field, problem });
  if (!isObject(v)) return fail(path, 'must be an object');
  if (!('version' in v)) return fail(`${path}.version`, 'is required');
  if (typeof v.version !== 'string') return fail(`${path}.version`, 'must be a string');
  if (!('summary' in v)) return fail(`${path}.summary`, 'is required');
  if (!Array.isArray(v.summary)) return fail(`${path}.summary`, 'must be an array');
  if (v.summary.length > 5) return fail(`${path}.summary`, 'must have at most 5 items');
  for (const [i, item] of v.summary.entries()) {
    const at = `${path}.summary[${i}]`;
    if (!isObject(item)) return fail(at, 'must be an object');
    if ('severity' in item && !(SEVERITIES as readonly unknown[]).includes(item.severity)) {
      return fail(`${at}.severity`, `must be one of ${SEVERITIES.join(', ')}`);
    }
    if ('count' in item && !Number.isInteger(item.count)) return fail(`${at}.count`, 'must be an integer');
  }
  if ('description' in v) {
    if (typeof v.description !== 'string') return fail(`${path}.description`, 'must be a string');
    if (v.description.length > 1024) return fail(`${path}.description`, 'must be at most 1024 characters');
  }
  return { ok: true };
}
