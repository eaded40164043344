/**
 * The collection schedule (`gc.intervalSeconds`): every node looks now and then whether the
 * newest run registry-wide started more than one interval ago, and if so starts one (the
 * collector lock lets one node win). So a cluster runs about one collection per interval, not
 * one per node, and a restart does not reset the clock. A scheduled run applies the
 * untagged-manifest retention rules first.
 */
import type { Logger } from 'pino';
import type { Collector } from './collector.ts';

export interface GcScheduleOptions {
  collector: Collector;
  intervalSeconds: number;
  logger: Logger;
  /** How often to look (default: a tenth of the interval, between 10 s and 10 min). */
  checkEveryMs?: number;
}

export function createGcSchedule(options: GcScheduleOptions) {
  const { collector, logger } = options;
  const intervalMs = options.intervalSeconds * 1000;
  const checkEveryMs = options.checkEveryMs ?? Math.min(Math.max(intervalMs / 10, 10_000), 600_000);
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<unknown> = Promise.resolve();

  let since = Date.now();

  async function check() {
    const [newest] = await collector.runs(1);
    // Before any run, the first comes one interval after this node started.
    if (Date.now() - (newest?.startedAt.getTime() ?? since) < intervalMs) return;
    const r = await collector.start({ retention: true });
    if (r.started) logger.info({ run: r.run.id }, 'scheduled garbage collection started');
  }

  return {
    start() {
      if (intervalMs === 0 || timer) return;
      since = Date.now();
      timer = setInterval(() => {
        checking = check().catch((err) => logger.error({ err }, 'garbage collection schedule check failed'));
      }, checkEveryMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await checking;
      await collector.idle();
    },
  };
}
