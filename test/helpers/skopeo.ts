/**
 * Runs the real skopeo with a HOME of the test's own (so no user's auth file or policy is read)
 * and a failure that names the command and skopeo's stderr. One runner for every test that
 * drives skopeo: `skopeoIn` throws on a failed command (the error keeps `stderr`), and
 * `skopeoResultIn` answers the outcome for tests that assert on refusals.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export interface SkopeoOptions {
  /** Keep `skopeo login` credentials in `<home>/auth.json` (REGISTRY_AUTH_FILE). */
  authFile?: boolean;
  /** Default 120 s. */
  timeoutMs?: number;
}

export interface SkopeoResult {
  ok: boolean;
  /** The exit code (1 when skopeo did not exit by itself). */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout when it succeeded; stderr (or the error) when it did not. */
  out: string;
}

function exec(home: string, args: string[], options: SkopeoOptions) {
  return run('skopeo', ['--insecure-policy', ...args], {
    maxBuffer: 64 * MiB,
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: home, ...(options.authFile ? { REGISTRY_AUTH_FILE: join(home, 'auth.json') } : {}) },
  });
}

export function skopeoIn(home: () => string, options: SkopeoOptions = {}): (...args: string[]) => Promise<string> {
  return async (...args) => {
    try {
      return (await exec(home(), args, options)).stdout;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr;
      throw Object.assign(new Error(`skopeo ${args.join(' ')}: ${stderr ?? err}`), { stderr });
    }
  };
}

export function skopeoResultIn(home: () => string, options: SkopeoOptions = {}): (...args: string[]) => Promise<SkopeoResult> {
  return async (...args) => {
    try {
      const { stdout, stderr } = await exec(home(), args, options);
      return { ok: true, code: 0, stdout, stderr, out: stdout };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
      return { ok: false, code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', out: e.stderr || e.message };
    }
  };
}
