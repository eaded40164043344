/** Where the scanner keeps its data: LAZARET_SCANNER_DATA_DIR, else <LAZARET_DATA_DIR>/scanner. */
import { join } from 'node:path';

export function scannerDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAZARET_SCANNER_DATA_DIR || join(env.LAZARET_DATA_DIR || './data', 'scanner');
}

/** The database file readers open; imports replace it by rename. */
export const databaseFile = (dir: string) => join(dir, 'vulndb.sqlite');
/** Held while an import or pull builds a new file, so two never overwrite each other. */
export const lockFile = (dir: string) => join(dir, 'vulndb.lock');
export const tempFile = (dir: string) => join(dir, `vulndb.sqlite.${process.pid}.${Date.now()}.tmp`);
