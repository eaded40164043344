/**
 * `lazaret serve`: the only place with process-level I/O (signals, listening, exit).
 *
 * Order matters: the port is bound BEFORE any background worker (webhook dispatcher, upload
 * janitor) starts, so a busy port or a bad address ends the process at once, non-zero, with
 * nothing started; timers of a started worker would otherwise keep a process that serves
 * nothing alive. The process handles SIGINT and SIGTERM itself (a supervisor should run
 * `node bin/lazaret.js serve` directly: npm and its shell do not pass a SIGINT on).
 */
import { loadConfig } from './config/load.ts';
import { createServices } from './services.ts';
import { buildApp } from './app.ts';
import { BUILTIN_SCANNER, startBuiltinScanner, type BuiltinScanner } from './scan/builtin-scanner.ts';
import { parseListen } from './config/listen.ts';
import { createLogger } from './observability/logger.ts';
import { metricsEnabled } from './observability/observability.ts';
import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { reportReady, runPrimary, workerCount, workerIndex } from './cluster/workers.ts';

export { parseListen };

export async function serve(options: { configFile?: string; workers?: number } = {}) {
  const config = loadConfig({ file: options.configFile });
  const workers = options.workers ?? workerCount(config);
  // `--workers N` (N > 1): this process becomes the primary and forks N of these (src/cluster/).
  if (workers > 1 && cluster.isPrimary) {
    await runPrimary(workers, createLogger(config.log, { base: { pid: process.pid, hostname: hostname(), role: 'primary' } }), metricsEnabled(config) ? { metrics: config.metrics } : {});
    return undefined;
  }
  const worker = workerIndex();
  const logger = createLogger(config.log, worker ? { base: { pid: process.pid, hostname: hostname(), worker } } : {});
  const services = await createServices(config, logger);
  const app = await buildApp(services);
  let address: string;
  try {
    address = await app.listen(parseListen(config.listen));
  } catch (err) {
    logger.fatal({ err, listen: config.listen }, `cannot listen on ${config.listen}: ${(err as Error).message}`);
    await app.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    process.exit(1);
  }
  await services.start();
  services.scan.setListenUrl(address);
  logger.info({ address, dataDir: config.dataDir, database: services.store.dialect }, 'lazaret is listening');
  reportReady(address);
  // The built-in scanner (scanner.builtin): started after listening, so the registry answers at
  // once; until it is up, jobs wait for it (fail closed).
  let builtin: BuiltinScanner | undefined;
  // Under --workers only worker 1 runs it: one scanner per machine, like one per node.
  if (config.scanner.builtin && (worker ?? 1) === 1) {
    startBuiltinScanner({ store: services.store, logger, dataDir: config.dataDir, onRegistered: () => services.scan.scannerChanged(BUILTIN_SCANNER) })
      .then((b) => {
        builtin = b;
        if (stopping) void b.stop();
      })
      .catch((err) => logger.error({ err: (err as Error).message }, 'the built-in scanner did not start; scans wait for a scanner (scanner.builtin: false turns it off)'));
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('in-flight requests did not finish in 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await app.close();
      await builtin?.stop();
      await services.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return { app, services, address };
}
