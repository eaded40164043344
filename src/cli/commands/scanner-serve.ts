import type { Command } from 'commander';

export function registerScannerServe(group: Command) {
  group
    .command('serve')
    .description('run the built-in scanner: LAZARET_SCANNER_LISTEN (127.0.0.1:5001), LAZARET_SCANNER_DATA_DIR (<LAZARET_DATA_DIR>/scanner), auth and limits in docs/scanner.md')
    .action(async () => {
      const { scannerConfigFromEnv } = await import('../../scanner/server/server-config.ts');
      const { startScannerServer } = await import('../../scanner/server/scanner-server.ts');
      const { openScannerDatabase } = await import('../../scanner/server/open-database.ts');
      const server = await startScannerServer({ config: scannerConfigFromEnv(), openDatabase: openScannerDatabase });
      // The line tests and `lazaret serve` wait for.
      console.log(`lazaret scanner listening on ${server.url}`);
      const stop = () => {
        void server.close().finally(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
