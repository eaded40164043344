import type { Command } from 'commander';

export function registerServe(program: Command) {
  program
    .command('serve')
    .description('run the registry (configuration: --config FILE and LAZARET_* variables)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .action(async (opts: { config?: string }) => {
      const { serve } = await import('../../main.ts');
      await serve({ configFile: opts.config });
    });
}
