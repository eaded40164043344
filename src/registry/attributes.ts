/**
 * Changeable attributes (ACR's deleteEnabled, writeEnabled, readEnabled, listEnabled) as /v2
 * enforces them. A false attribute on the repository applies to everything in it; on a
 * manifest or tag, to that manifest or tag. Refusals are OPERATION_DISALLOWED.
 */
import { registryError } from '../errors/index.ts';
import type { ChangeableAttributes } from '../metadata/metadata-store.ts';

type Attribute = keyof ChangeableAttributes;

const VERB: Record<Attribute, string> = {
  readEnabled: 'read',
  writeEnabled: 'write',
  deleteEnabled: 'delete',
  listEnabled: 'list',
};

/** Throws OPERATION_DISALLOWED naming the first holder whose `attribute` is false. */
export function requireAttribute(attribute: Attribute, holders: [label: string, record: ChangeableAttributes | undefined][]) {
  for (const [label, record] of holders) {
    if (record && record[attribute] === false) {
      throw registryError('OPERATION_DISALLOWED', `${VERB[attribute]} is disabled on ${label} (${attribute}=false)`, { attribute, target: label });
    }
  }
}
