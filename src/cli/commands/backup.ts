/**
 * `lazaret backup DEST`, `lazaret restore SRC`, `lazaret verify [--repair]` (src/backup/).
 * They work on the configured database and blob store directly (like `migrate`), not through
 * a running registry; backup and verify run safely next to one.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { backup } from '../../backup/backup.ts';
import { restore } from '../../backup/restore.ts';
import { verify } from '../../backup/verify.ts';

const out = (json: boolean | undefined, value: unknown, lines: string[]) => console.log(json ? JSON.stringify(value, null, 2) : lines.join('\n'));

export function registerBackup(program: Command) {
  program
    .command('backup <dest>')
    .description('consistent online backup: the SQLite database (PostgreSQL: see pg_dump in docs/operations.md), the blob inventory and, for the filesystem driver, the blobs (incremental)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .option('--json', 'print JSON')
    .action(async (dest: string, opts: { config?: string; json?: boolean }) => {
      const config = loadConfig({ file: opts.config });
      const r = await backup(config, dest);
      const { blobs, ...manifest } = r.manifest;
      out(opts.json, { ...manifest, blobs: blobs.length, copied: r.copied, alreadyThere: r.alreadyThere, missing: r.missing, corrupt: r.corrupt }, [
        `backup of the ${manifest.database} database (schema ${manifest.schema.at(-1)}) in ${dest}`,
        manifest.database === 'postgres' ? '  the PostgreSQL database itself is NOT in this folder: take it with pg_dump (docs/operations.md)' : `  database: ${dest}/lazaret.db`,
        manifest.blobsIncluded ? `  blobs: ${blobs.length} referenced, ${r.copied} copied, ${r.alreadyThere} already in the backup` : `  blobs: ${blobs.length} referenced (inventory only: the ${manifest.blobDriver} driver's blobs are not copied)`,
        ...r.missing.map((d) => `  MISSING from the store: ${d}`),
        ...r.corrupt.map((d) => `  CORRUPT in the store (not copied): ${d}`),
      ]);
      if (r.missing.length || r.corrupt.length) process.exitCode = 1;
    });

  program
    .command('restore <src>')
    .description('restore a backup into an empty data directory (the configured one)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .option('--json', 'print JSON')
    .action(async (src: string, opts: { config?: string; json?: boolean }) => {
      const config = loadConfig({ file: opts.config });
      const r = await restore(config, src);
      out(opts.json, { createdAt: r.manifest.createdAt, database: r.manifest.database, blobs: r.manifest.blobs.length, copied: r.copied, missing: r.missing, corrupt: r.corrupt }, [
        `restored the backup of ${r.manifest.createdAt} into ${config.dataDir}`,
        r.manifest.database === 'postgres' ? '  restore the PostgreSQL dump with pg_restore before starting (docs/operations.md)' : '  database: restored and checked',
        `  blobs: ${r.copied} of ${r.manifest.blobs.length} restored`,
        ...r.missing.map((d) => `  MISSING from the backup: ${d}`),
        ...r.corrupt.map((d) => `  CORRUPT in the backup: ${d}`),
      ]);
      if (r.missing.length || r.corrupt.length) process.exitCode = 1;
    });

  program
    .command('verify')
    .description('re-hash every referenced blob; report missing and corrupt ones (--repair removes corrupt blobs and unlinks broken ones)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .option('--repair', 'remove corrupt blobs from the store and unlink corrupt and missing ones, so they read as absent and a push uploads them again')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; repair?: boolean; json?: boolean }) => {
      const config = loadConfig({ file: opts.config });
      const r = await verify(config, { repair: opts.repair });
      out(opts.json, r, [
        `checked ${r.checked} blobs: ${r.missing.length} missing, ${r.corrupt.length} corrupt`,
        ...r.missing.map((d) => `missing  ${d}${r.unlinked.includes(d) ? '  unlinked' : ''}`),
        ...r.corrupt.map((c) => `corrupt  ${c.digest}  (${c.problem})${r.repaired.includes(c.digest) ? '  removed' : ''}${r.unlinked.includes(c.digest) ? ', unlinked' : ''}`),
      ]);
      if (r.missing.length || r.corrupt.length) process.exitCode = 1;
    });
}
