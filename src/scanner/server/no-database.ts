/**
 * The database a scanner has before anything was imported: never loaded, matches nothing. The
 * server reports it in its health and fails every vulnerability scan with NO_DATABASE.
 */
import type { VulnDatabase } from '../types.ts';

export function noDatabase(): VulnDatabase {
  return {
    status: () => ({ loaded: false, sources: [], advisories: 0 }),
    match: () => [],
    generation: () => 0,
    close: () => undefined,
  };
}
