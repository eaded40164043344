import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

function workersOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 64) throw new InvalidArgumentError('a number of processes from 1 to 64, or 0 for one per CPU');
  return n;
}

export function registerServe(program: Command) {
  program
    .command('serve')
    .description('run the registry (configuration: --config FILE and LAZARET_* variables)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .option('-w, --workers <n>', 'processes sharing the port, 0 = one per CPU (default: `workers` in the configuration, LAZARET_WORKERS, else 1)', workersOption)
    .action(async (opts: { config?: string; workers?: number }) => {
      const { serve } = await import('../../main.ts');
      await serve({ configFile: opts.config, ...(opts.workers !== undefined ? { workers: opts.workers } : {}) });
    });
}
