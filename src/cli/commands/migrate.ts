/**
 * `lazaret migrate`: the database schema. `serve` migrates forward at every start; this runs
 * the same migrations on their own (before starting a new version on every node), shows where
 * the database stands (--status) or what would run (--dry-run). It talks to the database
 * named by the configuration, not to a running registry.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { migrateSchema, schemaStatus, schemaTargetOf } from '../../persistence/index.ts';
import { NewerSchemaError } from '../../metadata/db.ts';
import { LAZARET_VERSION } from '../../package-info.ts';

export function registerMigrate(program: Command) {
  program
    .command('migrate')
    .description('bring the database schema up to this version (or show where it stands)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .option('--status', 'list applied, pending and unknown (newer) migrations; change nothing')
    .option('--dry-run', 'list the migrations that would run; change nothing')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; status?: boolean; dryRun?: boolean; json?: boolean }) => {
      const config = loadConfig({ file: opts.config });
      const target = schemaTargetOf(config);
      const status = await schemaStatus(config);
      if (opts.status || opts.dryRun) {
        if (opts.json) {
          console.log(JSON.stringify({ version: LAZARET_VERSION, database: target, ...status }, null, 2));
        } else {
          console.log(`lazaret ${LAZARET_VERSION}, ${target.dialect} database ${target.where}${status.exists ? '' : ' (does not exist yet)'}`);
          if (opts.status) for (const m of status.applied) console.log(`  applied  ${m}`);
          for (const m of status.pending) console.log(`  ${opts.dryRun ? 'would run' : 'pending'}  ${m}`);
          for (const m of status.unknown) console.log(`  unknown  ${m}  (applied by a newer version of Lazaret)`);
          if (status.pending.length === 0 && status.unknown.length === 0) console.log('  the schema is current');
        }
        if (status.unknown.length > 0) {
          console.error(new NewerSchemaError(status.unknown).message);
          process.exitCode = 2;
        }
        return;
      }
      if (target.dialect === 'sqlite') mkdirSync(resolve(config.dataDir), { recursive: true, mode: 0o700 });
      const ran = await migrateSchema(config);
      if (opts.json) console.log(JSON.stringify({ version: LAZARET_VERSION, database: target, ran }, null, 2));
      else if (ran.length === 0) console.log('the schema is current; nothing to run');
      else for (const m of ran) console.log(`applied ${m}`);
    });
}
