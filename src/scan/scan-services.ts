/**
 * The scan orchestrator of one node, built by src/services.ts: the lifecycle listener, the
 * dispatcher, the health monitor, and the registry URL scanners pull from.
 */
import type { Logger } from 'pino';
import type { LazaretConfig } from '../config/schema.ts';
import type { ManifestLifecycle } from '../events/index.ts';
import type { Registry } from '../registry/index.ts';
import type { ScanStore as MetadataStore, ScanTx as StoreRoles } from './store/index.ts';
import type { TokenService } from '../auth/tokens.ts';
import { isHeld } from '../quarantine/quarantine-lifecycle.ts';
import { createScanDispatcher, type DispatcherDeps, type ScanDispatcher } from './dispatcher.ts';
import { createScannerHealthMonitor, type ScannerHealthMonitor } from './scanner-health.ts';
import { createScanLifecycle } from './scan-lifecycle.ts';
import type { ScanVerdictDecider } from './finish-scan.ts';

export interface ScanServices {
  lifecycle: ManifestLifecycle<StoreRoles>;
  dispatcher: ScanDispatcher;
  health: ScannerHealthMonitor;
  /** Where scanners pull from; known once the server listens (setListenUrl) unless configured. */
  registryUrl(): string | undefined;
  setListenUrl(url: string): void;
  /** A scanner was (re)registered outside the API: read its metadata now and wake waiting jobs. */
  scannerChanged(name: string): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createScanServices(options: {
  config: LazaretConfig;
  logger: Logger;
  store: MetadataStore;
  registry: () => Registry;
  tokens: TokenService;
  onQueued: (tx: StoreRoles) => void;
  wakeWebhooks: () => void;
  /** A job of this node ended (metrics). */
  onFinished?: DispatcherDeps['onFinished'];
  /** Release policies' say over scan verdicts (src/scan/finish-scan.ts ScanVerdictDecider). */
  decider?: () => ScanVerdictDecider | undefined;
}): ScanServices {
  const { config, logger } = options;
  let listenUrl: string | undefined;
  const registryUrl = () => (config.scanner.registryUrl ?? config.baseUrl ?? listenUrl)?.replace(/\/+$/, '');
  const service = () => config.service ?? (registryUrl() ? new URL(registryUrl()!).host : 'lazaret');
  const { store } = options;
  let dispatcher: ScanDispatcher | undefined;
  const health = createScannerHealthMonitor({
    store,
    logger,
    intervalMs: config.scanner.healthIntervalSeconds * 1000,
    requestTimeoutMs: config.scanner.requestTimeoutSeconds * 1000,
    onChange: () => void dispatcher?.wakeWaiting().catch((err) => logger.error({ err }, 'waking scan jobs failed')),
  });
  dispatcher = createScanDispatcher({
    store,
    config,
    logger,
    registry: options.registry,
    tokens: options.tokens,
    registryUrl,
    service,
    wakeWebhooks: options.wakeWebhooks,
    ...(options.onFinished ? { onFinished: options.onFinished } : {}),
    ...(options.decider ? { decider: options.decider } : {}),
    markUnreachable: async (name, message) => {
      const s = await store.scanners.get(name);
      if (s && s.health !== 'unreachable') await store.scanners.setHealth(name, { health: 'unreachable', message, at: new Date() });
    },
  });
  return {
    lifecycle: createScanLifecycle({ isHeld, onQueued: options.onQueued }),
    dispatcher,
    health,
    registryUrl,
    setListenUrl(url) {
      listenUrl = url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:');
      dispatcher!.wake();
    },
    async scannerChanged(name) {
      await health.check(name);
      await dispatcher!.wakeWaiting();
    },
    start() {
      dispatcher!.start();
      health.start();
    },
    async stop() {
      await health.stop();
      await dispatcher!.stop();
    },
  };
}
