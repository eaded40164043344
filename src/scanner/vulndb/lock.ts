/**
 * One writer at a time per data directory: an exclusive lock file holding the writer's pid. A
 * lock left by a process that no longer exists (killed mid-import) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { lockFile } from './paths.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireWriteLock(dir: string): () => void {
  const path = lockFile(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid) && pid !== process.pid) {
        throw new Error(`another import or pull (pid ${pid}) is writing the vulnerability database in ${dir}; try again when it ends`);
      }
      unlinkSync(path);
    }
  }
  throw new Error(`cannot lock ${path}`);
}
