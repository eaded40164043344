/** The four ACR changeable attributes of a PATCH body, validated (other fields are ignored here). */
import { registryError } from '../errors/index.ts';
import type { ChangeableAttributes } from '../registry/index.ts';

const NAMES = ['deleteEnabled', 'writeEnabled', 'readEnabled', 'listEnabled'] as const;

export function parseAttributePatch(body: Record<string, unknown>): Partial<ChangeableAttributes> {
  const out: Partial<ChangeableAttributes> = {};
  for (const key of NAMES) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw registryError('BAD_REQUEST', `${key} must be true or false`, { field: key });
    out[key] = v;
  }
  return out;
}
