/**
 * The events module's entry: other modules import from here (scripts/check-boundaries.mjs).
 * ./webhook-agent.ts is left out on purpose: it loads undici (~5 MiB of an idle registry's RSS,
 * bench/README.md), and the dispatcher imports it on its first delivery; re-exporting it here
 * would load it at every start.
 */
export * from './acr-timestamp.ts';
export * from './cidr.ts';
export * from './commit-wake.ts';
export * from './delivery-backoff.ts';
export * from './event-payloads.ts';
export * from './event-store.ts';
export * from './events-lifecycle.ts';
export * from './manifest-lifecycle.ts';
export * from './raise-event.ts';
export * from './webhook-delivery.ts';
export * from './webhook-destinations.ts';
export * from './webhook-dispatcher.ts';
export * from './webhook-scope.ts';
export * from './webhook-signature.ts';
