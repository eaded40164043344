/**
 * Runs the real `lazaret serve` (bin/lazaret.js) as a child process, configured through
 * LAZARET_* variables, for tests that kill or run several registry processes. The built-in
 * scanner child is off unless a test sets LAZARET_SCANNER_BUILTIN=true, and it is one process
 * (not one worker per CPU) unless a test sets LAZARET_WORKERS. Resolves once
 * the server logs that it is listening, with its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SpawnedServer {
  url: string;
  process: ChildProcess;
  /** Everything it logged (pino JSON lines). */
  output: string[];
  /** SIGKILL: no shutdown, no clean-up; what is in flight is simply lost by the process. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/lazaret.js', import.meta.url));

export async function spawnServer(env: Record<string, string>, timeoutMs = 20_000, options: { cwd?: string } = {}): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LAZARET_LISTEN: '127.0.0.1:0', LAZARET_LOG_LEVEL: 'info', LAZARET_SCANNER_BUILTIN: 'false', LAZARET_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    // A server that never listens is killed, or it would keep the test file alive until its timeout.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let i;
      while ((i = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        output.push(line);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'lazaret is listening') {
            clearTimeout(timer);
            resolve(String(entry.address));
          }
        } catch {
          /* not JSON */
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
  return {
    url,
    process: child,
    output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
