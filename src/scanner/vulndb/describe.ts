/** What `scanner db status` prints: the database's own record of itself, source by source. */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { databaseFile } from './paths.ts';
import { readMeta } from './schema.ts';

export interface DatabaseDescription {
  path: string;
  loaded: boolean;
  generation: number;
  builtAt?: string;
  importedAt?: string;
  pulledFrom?: string;
  advisories: number;
  sources: { name: string; advisories: number; builtAt?: string; importedAt: string; files: string[] }[];
}

export function describeDatabase(dir: string): DatabaseDescription {
  const path = databaseFile(dir);
  if (!existsSync(path)) return { path, loaded: false, generation: 0, advisories: 0, sources: [] };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const meta = readMeta(db);
    const pulled = db.prepare("SELECT value FROM meta WHERE key = 'pulled_from'").get() as { value: string } | undefined;
    const sources = (
      db.prepare('SELECT name, advisories, built_at AS builtAt, imported_at AS importedAt, files FROM sources ORDER BY name').all() as {
        name: string;
        advisories: number;
        builtAt: string | null;
        importedAt: string;
        files: string;
      }[]
    ).map((s) => ({ name: s.name, advisories: s.advisories, builtAt: s.builtAt ?? undefined, importedAt: s.importedAt, files: JSON.parse(s.files) as string[] }));
    const advisories = (db.prepare('SELECT COUNT(*) AS n FROM advisories').get() as { n: number }).n;
    return { path, loaded: true, generation: meta.generation, builtAt: meta.builtAt, importedAt: meta.importedAt, pulledFrom: pulled?.value, advisories, sources };
  } finally {
    db.close();
  }
}
