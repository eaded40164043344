import type { Command } from 'commander';
import { ConfigError, readConfigFile, validateConfig } from '../../config/load.ts';

export function registerConfig(program: Command) {
  const config = program.command('config').description('configuration tools');
  config
    .command('check <file>')
    .description('validate a configuration file; prints each problem with the field it concerns')
    .option('--print', 'print the effective configuration (defaults applied) as JSON')
    .action((file: string, opts: { print?: boolean }) => {
      try {
        const effective = validateConfig(readConfigFile(file), `file ${file}`);
        if (opts.print) console.log(JSON.stringify({ ...effective, auth: { ...effective.auth, adminPassword: effective.auth.adminPassword ? '***' : undefined }, storage: { ...effective.storage, ...(effective.storage.s3 ? { s3: { ...effective.storage.s3, secretAccessKey: effective.storage.s3.secretAccessKey ? '***' : undefined } } : {}) } }, null, 2));
        else console.log(`${file}: valid`);
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(`${file}: invalid`);
          for (const p of err.problems) console.error(`  ${p}`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
