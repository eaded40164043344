/**
 * Runs scan jobs in the server, at most `concurrency` at once (FIFO beyond that): inventory the
 * image (or reuse the stored inventory of the same manifest), match it against the database
 * as it is at that moment, and store the vulnerability report and both SBOMs. Without a loaded
 * database the vulnerability part fails closed with NO_DATABASE while the SBOMs are still made.
 */
import type { Logger } from 'pino';
import { inventoryImage } from '../image/inventory-image.ts';
import type { ScanLimits } from '../image/limits.ts';
import { sbomReport, vulnerabilityReport, type ScannerIdentity } from '../report/harbor-reports.ts';
import { CYCLONEDX_MEDIA_TYPE, cycloneDxDocument } from '../sbom/cyclonedx.ts';
import { SPDX_MEDIA_TYPE, spdxDocument } from '../sbom/spdx.ts';
import { asScanError, ScanError } from '../scan-error.ts';
import type { VulnDatabase } from '../types.ts';
import type { Job, JobResult, JobStore } from './job-store.ts';

export interface ScanRunnerOptions {
  store: JobStore;
  database: () => VulnDatabase;
  limits: ScanLimits;
  concurrency: number;
  scanner: ScannerIdentity;
  log: Logger;
}

export interface ScanRunner {
  submit(jobId: string): void;
  /** Resolves when no job is running or waiting (shutdown, tests). */
  idle(): Promise<void>;
  readonly active: number;
}

export function createScanRunner(options: ScanRunnerOptions): ScanRunner {
  const { store, limits, log } = options;
  const waiting: string[] = [];
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  async function run(job: Job): Promise<void> {
    store.markRunning(job.id);
    const { registry, artifact } = job.request;
    const started = Date.now();
    try {
      const image = await inventoryImage({ url: registry.url, repository: artifact.repository, authorization: registry.authorization }, artifact.digest, limits, {
        cached: (digest) => store.inventory(digest),
      });
      store.saveInventory(artifact.digest, image);
      const reportArtifact = { repository: artifact.repository, digest: artifact.digest, mime_type: image.mediaType };
      const context = { artifact: reportArtifact, scanner: options.scanner };
      const db = options.database();
      const result: JobResult = {
        vulnerability: db.status().loaded
          ? { report: vulnerabilityReport(db.match(image.inventory), { ...context, layers: image.layers }) }
          : { error: new ScanError('NO_DATABASE').message },
        sboms: {
          [SPDX_MEDIA_TYPE]: sbomReport(spdxDocument(image.inventory, { repository: artifact.repository, digest: artifact.digest, registry: new URL(registry.url).host }), SPDX_MEDIA_TYPE, context),
          [CYCLONEDX_MEDIA_TYPE]: sbomReport(cycloneDxDocument(image.inventory, { repository: artifact.repository, digest: artifact.digest }), CYCLONEDX_MEDIA_TYPE, context),
        },
      };
      store.finish(job.id, result);
      log.info({ job: job.id, repository: artifact.repository, digest: artifact.digest, packages: image.inventory.packages.length, ms: Date.now() - started }, 'scan done');
    } catch (err) {
      const e = asScanError(err);
      store.fail(job.id, e.message);
      log.warn({ job: job.id, repository: artifact.repository, digest: artifact.digest, code: e.code, err: e.message }, 'scan failed');
    }
  }

  function pump(): void {
    while (active < options.concurrency && waiting.length) {
      const id = waiting.shift()!;
      const job = store.get(id);
      if (!job || (job.state !== 'queued' && job.state !== 'running')) continue;
      active++;
      void run(job).finally(() => {
        active--;
        pump();
      });
    }
    if (active === 0 && waiting.length === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const resolve of w) resolve();
    }
  }

  return {
    submit(jobId) {
      waiting.push(jobId);
      pump();
    },
    idle() {
      if (active === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get active() {
      return active;
    },
  };
}
