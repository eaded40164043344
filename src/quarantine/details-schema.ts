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

import { Type } from 'typebox';
import { Value } from 'typebox/value';

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'None'] as const;

/** Upper bound for the stored string, so one verdict cannot bloat the store. */
export const MAX_DETAILS_LENGTH = 64 * 1024;

export type DetailsCheck = { ok: true } | { ok: false; field: string; problem: string };

const Summary = Type.Object(
  {
    version: Type.String({ description: 'any string: real scanners put timestamps there' }),
    summary: Type.Array(Type.Object({ severity: Type.Optional(Type.Enum([...SEVERITIES])), count: Type.Optional(Type.Integer()) }), { maxItems: 5 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: true },
);

/** ACR's quarantine-details schema (the JSON inside the string). */
const QuarantineDetailsDocument = Type.Object(
  { scanner: Type.Optional(Type.String()), state: Type.Optional(Type.String()), link: Type.Optional(Type.String()), result: Type.Optional(Summary) },
  { additionalProperties: false },
);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const ARTICLE: Record<string, string> = { string: 'a string', object: 'an object', array: 'an array', integer: 'an integer' };

/** `/result/summary/1/count` -> `quarantineDetails.result.summary[1].count`. */
function fieldOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .reduce((field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : `${field}.${part}`), 'quarantineDetails');
}

/** The first schema error in the words the API has always used, naming the field. */
function problemOf(error: { keyword: string; instancePath: string; params: Record<string, unknown> }): { field: string; problem: string } {
  const field = fieldOf(error.instancePath);
  switch (error.keyword) {
    case 'boolean':
      return { field, problem: 'is not allowed (allowed: scanner, state, link, result)' };
    case 'additionalProperties':
      return { field: `${field}.${(error.params.additionalProperties as string[])[0]}`, problem: 'is not allowed (allowed: scanner, state, link, result)' };
    case 'required':
      return { field: `${field}.${(error.params.requiredProperties as string[])[0]}`, problem: 'is required' };
    case 'type':
      return { field, problem: `must be ${ARTICLE[error.params.type as string] ?? error.params.type}` };
    case 'enum':
      return { field, problem: `must be one of ${SEVERITIES.join(', ')}` };
    case 'maxItems':
      return { field, problem: `must have at most ${error.params.limit} items` };
    case 'maxLength':
      return { field, problem: `must be at most ${error.params.limit} characters` };
    default:
      return { field, problem: 'is not valid' };
  }
}

/**
 * Checks a quarantineDetails string. `field` in a failure is a JSON path like
 * `quarantineDetails.result.summary[1].count`. A list over its 5 items is named before its
 * items; with several problems elsewhere, the first in the schema's order is named.
 */
export function checkQuarantineDetails(details: string): DetailsCheck {
  const root = 'quarantineDetails';
  if (details.length > MAX_DETAILS_LENGTH) return { ok: false, field: root, problem: `must be at most ${MAX_DETAILS_LENGTH} characters` };
  let value: unknown;
  try {
    value = JSON.parse(details);
  } catch (err) {
    return { ok: false, field: root, problem: `must be a string holding JSON (${(err as Error).message})` };
  }
  if (!isObject(value)) return { ok: false, field: root, problem: 'must hold a JSON object' };
  const errors = [...Value.Errors(QuarantineDetailsDocument, value)];
  if (errors.length === 0) return { ok: true };
  // The old hand check looked at a list's length before its items: keep naming the list.
  const list = errors.find((e) => e.keyword === 'maxItems' && errors[0]!.instancePath.startsWith(`${e.instancePath}/`));
  const first = list ?? errors[0]!;
  return { ok: false, ...problemOf(first as { keyword: string; instancePath: string; params: Record<string, unknown> }) };
}
