/**
 * Runs the real skopeo with a HOME of the test's own (so no user's auth file or policy is read)
 * and a failure that names the command and skopeo's stderr.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export function skopeoIn(home: () => string): (...args: string[]) => Promise<string> {
  return async (...args) => {
    try {
      return (await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 64 * MiB, timeout: 120_000, env: { ...process.env, HOME: home(), XDG_RUNTIME_DIR: home() } })).stdout;
    } catch (err) {
      throw new Error(`skopeo ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? err}`);
    }
  };
}
