/**
 * The HTTP agent webhook deliveries go through: every connection's resolved addresses are
 * checked against the destination policy (./webhook-destinations.ts). Its own module because
 * it is the only part of webhooks that needs undici: the dispatcher imports it on its first
 * delivery, so a registry without webhooks never loads the HTTP client.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { DestinationPolicy } from './webhook-destinations.ts';

export function createWebhookAgent(policy: DestinationPolicy, timeoutMs: number): Agent {
  return new Agent({ connect: webhookConnector(policy, timeoutMs), keepAliveTimeout: 4000 });
}

/**
 * An undici `connect` that resolves the host itself, refuses the connection when any address
 * it resolves to is refused, and connects to the checked address (TLS still verifies the
 * certificate against the name).
 */
export function webhookConnector(policy: DestinationPolicy, timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs });
  return (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const literal = isIP(host) !== 0;
    const resolved = literal ? Promise.resolve([{ address: host }]) : lookup(host, { all: true, verbatim: true });
    resolved.then(
      (addresses) => {
        for (const { address } of addresses) {
          const why = policy.refusal(address);
          if (why) return callback(Object.assign(new Error(`destination refused: ${literal ? why : `${host} resolves to ${why}`}`), { code: 'DESTINATION_REFUSED' }), null);
        }
        const target = addresses[0]!.address;
        connect({ ...options, hostname: target, ...(literal ? {} : { servername: options.servername ?? host }) } as typeof options, callback);
      },
      (err: Error) => callback(err, null),
    );
  };
}
