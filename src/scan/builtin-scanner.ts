/**
 * The built-in scanner as a child of `lazaret serve` (scanner.builtin, default on): starts
 * `lazaret scanner serve` (the same package's Harbor-API scanner, its own process, port and
 * SQLite database under <dataDir>/scanner), waits for its "listening on URL" line, and
 * registers it as scanner `builtin`: the default scanner, so it scans every repository no other
 * registered scanner covers. The registry authenticates to it with a random API key made at each
 * start (the child only listens on 127.0.0.1).
 *
 * If the child dies it is restarted with backoff (1 s, 2 s, ... 30 s); meanwhile its jobs wait
 * ("waiting for scanner builtin: unreachable since ...") and resume when it is back. It is
 * stopped (SIGTERM, then SIGKILL after 5 s) with the server, and exits by itself when the
 * registry dies (its stdin, a pipe from the registry, closes: exit-with-parent.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../package-info.ts';
import type { Logger } from 'pino';
import type { ScanStore } from './store/index.ts';

export const BUILTIN_SCANNER = 'builtin';
// From the package root, not this module: the compiled bundle (dist/) sits at another depth.
const BIN = join(PACKAGE_ROOT, 'bin', 'lazaret.js');
const EXIT_WITH_PARENT = pathToFileURL(join(PACKAGE_ROOT, 'src', 'scan', 'exit-with-parent.mjs')).href;
const READY_LINE = /listening on (https?:\/\/\S+)/;
/**
 * Node flags of the scanner process. A scan streams every layer byte through short-lived
 * Buffers; V8 frees their memory only when the young generation is collected, so with the
 * default semi-space (16 MiB) tens of MiB of dead layer chunks wait for the next collection
 * (bench/README.md "Scanner": peak RSS 153 -> about 120 MiB on a 1 GiB layer with 1 MiB).
 * Collections of a 1 MiB semi-space are cheap: the scanner keeps little alive.
 */
export const SCANNER_NODE_FLAGS = ['--max-semi-space-size=1'];
const START_TIMEOUT_MS = 60_000;

export interface BuiltinScanner {
  /** The URL it listens on, once started. */
  url(): string | undefined;
  stop(): Promise<void>;
}

export async function startBuiltinScanner(options: { store: ScanStore; logger: Logger; dataDir: string; onRegistered: () => Promise<void> }): Promise<BuiltinScanner> {
  const { store, logger } = options;
  const dataDir = join(resolve(options.dataDir), 'scanner');
  const apiKey = randomBytes(24).toString('base64url');
  let child: ChildProcess | undefined;
  let url: string | undefined;
  let stopping = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  async function register(at: string) {
    const input = { url: at, authKind: 'api-key' as const, authSecret: apiKey, patterns: ['*'], isDefault: true, enabled: true };
    const existing = await store.scanners.get(BUILTIN_SCANNER);
    if (existing) await store.scanners.update(BUILTIN_SCANNER, { url: at, authKind: 'api-key', authSecret: apiKey });
    else await store.scanners.create(BUILTIN_SCANNER, input);
    await options.onRegistered();
  }

  function launch(): Promise<void> {
    return new Promise((resolveStart, rejectStart) => {
      const env = {
        ...process.env,
        LAZARET_SCANNER_LISTEN: '127.0.0.1:0',
        LAZARET_SCANNER_DATA_DIR: process.env.LAZARET_SCANNER_DATA_DIR || dataDir,
        LAZARET_SCANNER_API_KEY: apiKey,
      };
      const c = spawn(process.execPath, [...SCANNER_NODE_FLAGS, '--import', EXIT_WITH_PARENT, BIN, 'scanner', 'serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      child = c;
      let started = false;
      const timer = setTimeout(() => {
        if (!started) {
          c.kill('SIGKILL');
          rejectStart(new Error(`the built-in scanner did not start within ${START_TIMEOUT_MS / 1000} s`));
        }
      }, START_TIMEOUT_MS);
      let buffered = '';
      c.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        if (started) return;
        buffered += chunk;
        const m = READY_LINE.exec(buffered);
        if (!m) return;
        started = true;
        clearTimeout(timer);
        url = m[1]!.replace('://0.0.0.0:', '://127.0.0.1:');
        restarts = 0;
        const at = url;
        // Its pid in the log: an operator (or a test) can tell which process is the scanner.
        register(at).then(() => {
          logger.info({ url: at, pid: c.pid }, 'built-in scanner started and registered as scanner builtin');
          resolveStart();
        }, rejectStart);
      });
      // Its log lines (pino JSON) go to our stderr unchanged.
      c.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      c.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (child === c) child = undefined;
        if (!started) {
          rejectStart(new Error(`the built-in scanner exited before it listened (code ${code}, signal ${signal})`));
          return;
        }
        if (stopping) return;
        const delay = Math.min(30_000, 1_000 * 2 ** restarts++);
        logger.error({ code, signal, restartInMs: delay }, 'the built-in scanner exited; restarting it');
        restartTimer = setTimeout(() => {
          launch().catch((err) => logger.error({ err }, 'the built-in scanner did not restart'));
        }, delay);
        restartTimer.unref();
      });
    });
  }

  await launch();
  return {
    url: () => url,
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((done) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), 5_000);
        c.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        c.kill('SIGTERM');
      });
    },
  };
}
