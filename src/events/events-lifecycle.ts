/**
 * The events module's manifest lifecycle listener (docs/webhooks.md). Runs inside the
 * transaction of the change, AFTER quarantine's listener (which assigns push-time verdicts),
 * and writes events to the outbox there, so an event exists if and only if its change
 * committed.
 *
 * - pushed: always `quarantine`; `push` too when the manifest is not held (policy off, or its
 *   verdict is already Passed). When held, the push is remembered (repository, digest, tag or
 *   none, and the push's request) in tx.heldPushes.
 * - released (verdict became Passed): one `push` per tag the manifest was pushed under while
 *   held, or one without a tag when it was only pushed by digest; then they are forgotten, so
 *   a later Quarantined -> Passed cycle raises nothing new. A remembered tag that no longer
 *   points at the digest is skipped (a `push` for it would announce another image); if that
 *   leaves no tag, one `push` without a tag is raised. The `request` is the original push's
 *   (method PUT), the timestamp is the release's. Nothing remembered (the manifest predates
 *   the policy, its `push` went out then): nothing is raised.
 * - deleted / repositoryDeleted: one `delete` per manifest (not for tag deletes); remembered
 *   pushes of deleted manifests are forgotten.
 * - rescanRequested: `quarantine` again.
 */
import type { HoldQuery, ManifestLifecycle, ManifestReleased, RequestFacts } from './manifest-lifecycle.ts';
import type { HeldPush } from './event-store.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';
import type { EventRoles } from './store/index.ts';
import { deleteEvent, pushEvent, quarantineEvent } from './event-payloads.ts';
import { raiseEvent } from './raise-event.ts';

export interface EventsLifecycleOptions<Tx extends CoreRoles & EventRoles> {
  /** Quarantine's hold query; defaults to "never held" (policy off). */
  isHeld?: HoldQuery<Tx>;
  /** Called after events were queued in the transaction `tx` (the dispatcher's wake-up, commit-wake.ts). */
  onQueued?: (tx: Tx) => void;
  /**
   * The registry's public host (from `baseUrl`): events name it as `request.host`, as ACR
   * names its login server, instead of the Host header a proxy in front may have rewritten.
   */
  publicHost?: string;
}

export function createEventsLifecycle<Tx extends CoreRoles & EventRoles = CoreRoles & EventRoles>(options: EventsLifecycleOptions<Tx> = {}): ManifestLifecycle<Tx> {
  const isHeld: HoldQuery<Tx> = options.isHeld ?? (async () => false);
  const facts = <T extends { request: RequestFacts }>(e: T): T => (options.publicHost ? { ...e, request: { ...e.request, host: options.publicHost } } : e);
  const queued = (tx: Tx, names: string[]) => {
    if (names.length > 0) options.onQueued?.(tx);
  };

  /** The deferred `push` events of one released manifest (its held pushes, taken). */
  async function raiseReleased(tx: Tx, e: ManifestReleased, held: HeldPush[]) {
    if (held.length === 0) return;
    let raised = 0;
    for (const h of held) {
      if (h.tag === undefined || (await tx.tags.get(h.repository, h.tag))?.digest !== h.digest) continue;
      queued(tx, await raiseEvent(tx, pushEvent({ repository: h.repository, digest: h.digest, mediaType: e.mediaType, size: e.size, tag: h.tag }, h.request)));
      raised++;
    }
    if (raised === 0) {
      queued(tx, await raiseEvent(tx, pushEvent({ repository: e.repository, digest: e.digest, mediaType: e.mediaType, size: e.size }, (held.find((h) => h.tag === undefined) ?? held[0]!).request)));
    }
  }

  return {
    async pushed(tx, pushed) {
      const e = facts(pushed);
      const m = { repository: e.repository, digest: e.digest, mediaType: e.mediaType, size: e.size, tag: e.tag };
      queued(tx, await raiseEvent(tx, quarantineEvent(m, e.request)));
      if (await isHeld(tx, e.repository, e.digest)) {
        await tx.heldPushes.remember({ ...m, request: e.request, pushedAt: new Date() });
        return;
      }
      queued(tx, await raiseEvent(tx, pushEvent(m, e.request)));
    },

    async released(tx, events) {
      // The held pushes of all of them in two statements per repository, not two per manifest.
      const held = new Map<string, HeldPush[]>();
      for (const repository of new Set(events.map((e) => e.repository))) {
        for (const [digest, pushes] of await tx.heldPushes.takeMany(repository, events.filter((e) => e.repository === repository).map((e) => e.digest))) held.set(`${repository}@${digest}`, pushes);
      }
      for (const e of events) await raiseReleased(tx, e, held.get(`${e.repository}@${e.digest}`) ?? []);
    },

    async deleted(tx, deleted) {
      const e = facts(deleted);
      await tx.heldPushes.forget(e.repository, e.digest);
      queued(tx, await raiseEvent(tx, deleteEvent({ repository: e.repository, digest: e.digest, mediaType: e.mediaType }, e.request)));
    },

    async repositoryDeleted(tx, deleted) {
      const e = facts(deleted);
      await tx.heldPushes.forget(e.repository);
      for (const m of e.manifests) {
        queued(tx, await raiseEvent(tx, deleteEvent({ repository: e.repository, digest: m.digest, mediaType: m.mediaType }, e.request)));
      }
    },

    verdictChanged: async () => {},

    async rescanRequested(tx, requested) {
      const e = facts(requested);
      queued(tx, await raiseEvent(tx, quarantineEvent({ repository: e.repository, digest: e.digest, size: e.size, tag: e.tag }, e.request)));
    },
  };
}
