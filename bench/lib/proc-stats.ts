/**
 * CPU time and memory of a process tree, read from /proc (Linux). A registry may fork
 * workers (node:cluster), so everything is summed over the root and its live descendants.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ; Linux reports /proc/<pid>/stat times in these units.

interface StatFields { ppid: number; utime: number; stime: number; cutime: number; cstime: number }

function readStat(pid: number | 'self'): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(rest[i - 3]);
  return { ppid: n(4), utime: n(14), stime: n(15), cutime: n(16), cstime: n(17) };
}

/** The pid (or pids: a cluster of nodes and its balancer) and all their live descendants. */
export function processTree(root: number | number[]): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = parents.get(stat.ppid) ?? [];
    list.push(Number(entry));
    parents.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = Array.isArray(root) ? [...root] : [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds used by the tree so far (including reaped children). */
export function treeCpuSeconds(root: number | number[]): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const s = readStat(pid);
    if (s) ticks += s.utime + s.stime + s.cutime + s.cstime;
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds of this process plus its reaped children (wrk runs are awaited, so their time
 * lands in cutime/cstime once they exit). Registries are still running and do not count.
 */
export function generatorCpuSeconds(): number {
  const own = process.cpuUsage();
  const s = readStat('self');
  const children = s ? (s.cutime + s.cstime) / TICKS_PER_SECOND : 0;
  return (own.user + own.system) / 1e6 + children;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Peak-RSS tracker for one timed run: resets the kernel's high-water mark (clear_refs 5,
 * Linux >= 4.0) at the start, samples VmRSS of the tree every 100 ms, and at the end reports
 * the larger of the sampled maximum and the sum of the kernel's VmHWM (exact for one process).
 */
export function startMemoryWatch(root: number | number[]): { stop(): number } {
  for (const pid of processTree(root)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Not permitted (not root, old kernel): the sampled maximum still stands.
    }
  }
  let sampled = 0;
  let tree = processTree(root);
  let count = 0;
  const sample = () => {
    // Rescanning /proc costs a few ms: do it once a second, not on every sample.
    if (++count % 10 === 0) tree = processTree(root);
    const total = tree.reduce((sum, pid) => sum + statusKiB(pid, 'VmRSS'), 0);
    sampled = Math.max(sampled, total);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const hwm = processTree(root).reduce((sum, pid) => sum + statusKiB(pid, 'VmHWM'), 0);
      return Math.max(sampled, hwm) / 1024;
    },
  };
}

/** CPU seconds of one process split by thread: its main (JavaScript) thread's user and system time, and every other thread's. */
export interface ThreadCpu { mainUser: number; mainSystem: number; others: number }

/**
 * Where a process's CPU went (Linux, /proc/<pid>/task): the main thread runs the JavaScript
 * and the event loop; the others are V8's GC and compiler helpers and libuv's pool. It tells
 * per-request JavaScript work from allocation-driven GC work done off the main thread.
 */
export function threadCpuSeconds(pid: number): ThreadCpu {
  const out: ThreadCpu = { mainUser: 0, mainSystem: 0, others: 0 };
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const user = Number(rest[11]) / TICKS_PER_SECOND;
    const system = Number(rest[12]) / TICKS_PER_SECOND;
    if (Number(tid) === pid) {
      out.mainUser += user;
      out.mainSystem += system;
    } else out.others += user + system;
  }
  return out;
}

/** The 1-, 5- and 15-minute load averages as /proc/loadavg prints them, for a bench's log line. */
export function loadAverages(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
