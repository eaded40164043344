/**
 * Enabling the policy holds every manifest without a verdict (absent = held): queue a
 * `backlog` scan for each, in pages of 200 (one transaction per page), right after the enable
 * commits. Decision: not in the enable's own transaction, which would have to touch every
 * manifest of the registry at once; if the process dies in between, `lazaret quarantine
 * rescan` queues what is missing (the images stay held meanwhile: fail closed). The enable
 * answers after the backlog is queued.
 */
import type { Logger } from 'pino';
import type { Digest } from '../oci/index.ts';
import type { ScanStore } from './store/index.ts';
import { queueScan } from './scan-lifecycle.ts';

const PAGE = 200;

export async function queueBacklog(store: ScanStore, logger: Logger): Promise<number> {
  let queued = 0;
  let last: string | undefined;
  for (;;) {
    const page = await store.verdicts.listManifests({ states: ['absent'], n: PAGE, ...(last ? { last } : {}) });
    await store.transaction(async (tx) => {
      for (const r of page.rows) if (await queueScan(tx, r.repository, r.digest as Digest, 'backlog')) queued++;
    });
    if (!page.next) break;
    last = page.next;
  }
  if (queued > 0) logger.info({ queued }, 'quarantine policy enabled: backlog scans queued');
  return queued;
}
