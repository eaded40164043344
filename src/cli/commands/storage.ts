import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';

export function registerStorage(program: Command) {
  const storage = program.command('storage').description('blob storage tools');
  storage
    .command('check')
    .description('prove the configured blob store works: reach it, write, read back, a chunked upload, delete (configuration: --config FILE and LAZARET_* variables)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .action(async (opts: { config?: string }) => {
      const { checkStorage } = await import('../../storage/storage-check.ts');
      const config = loadConfig({ file: opts.config });
      const ok = await checkStorage(config, (s) => (s.ok ? console.log : console.error)(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step}: ${s.detail}`));
      if (!ok) process.exitCode = 1;
    });
}
