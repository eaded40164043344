/**
 * Where webhooks may deliver. A webhook is a request the registry makes on a Contributor's
 * behalf, with the answer kept in the delivery log: pointed at the registry itself or at a
 * cloud metadata endpoint it reads what its author could not (server-side request forgery).
 *
 * The rule, for every address a destination resolves to:
 * 1. `webhooks.denyDestinations` (CIDRs): refused;
 * 2. `webhooks.allowDestinations` (CIDRs): allowed;
 * 3. refused by default: loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0/8, ::), link-local
 *    (169.254.0.0/16 — cloud metadata endpoints — and fe80::/10), the AWS IPv6 metadata address
 *    fd00:ec2::254, multicast and broadcast, and every address of this machine's interfaces;
 * 4. everything else is allowed, private ranges included (scanners often live there).
 * IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4 address they carry.
 *
 * Checked when a webhook is created or updated (the URI's host, resolved) AND at delivery, on
 * the very addresses the connection goes to (webhookConnector in ./webhook-agent.ts), so a name that resolves
 * elsewhere later (DNS rebinding) is still refused.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseCidr } from './cidr.ts';

export { parseCidr };

const DEFAULT_DENY = [
  '127.0.0.0/8',
  '0.0.0.0/8',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '255.255.255.255/32',
  '::1/128',
  '::/128',
  'fe80::/10',
  'ff00::/8',
  'fd00:ec2::254/128',
];

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (!c) throw new Error(`not a CIDR: ${text}`);
    list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}

/** `::ffff:a.b.c.d` -> `a.b.c.d`; other addresses unchanged. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

export interface DestinationPolicy {
  /** Why `address` (an IP) is refused, or undefined when a webhook may deliver there. */
  refusal(address: string): string | undefined;
  /** Resolves `host` (name or literal) and checks every address; a name that does not resolve is not refused here. */
  checkHost(host: string): Promise<string | undefined>;
}

export function createDestinationPolicy(options: { allow?: readonly string[]; deny?: readonly string[]; ownAddresses?: readonly string[] } = {}): DestinationPolicy {
  const deny = blockListOf(options.deny ?? []);
  const allow = blockListOf(options.allow ?? []);
  const defaults = blockListOf(DEFAULT_DENY);
  const own = new Set((options.ownAddresses ?? machineAddresses()).map((a) => unmapped(a).toLowerCase()));
  const has = (list: BlockList, a: string) => list.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');

  const policy: DestinationPolicy = {
    refusal(raw) {
      const address = unmapped(raw.replace(/^\[|\]$/g, '')).toLowerCase();
      if (isIP(address) === 0) return `${raw} is not an IP address`;
      if (has(deny, address)) return `${address} is listed in webhooks.denyDestinations`;
      if (has(allow, address)) return undefined;
      if (has(defaults, address)) return `${address} is a loopback, link-local, multicast or unspecified address (allow it with webhooks.allowDestinations)`;
      if (own.has(address)) return `${address} is an address of the registry's own machine (allow it with webhooks.allowDestinations)`;
      return undefined;
    },
    async checkHost(host) {
      const bare = host.replace(/^\[|\]$/g, '');
      if (isIP(bare)) return policy.refusal(bare);
      let addresses: { address: string }[];
      try {
        addresses = await lookup(bare, { all: true, verbatim: true });
      } catch {
        return undefined;
      }
      for (const { address } of addresses) {
        const why = policy.refusal(address);
        if (why) return `${host} resolves to ${why}`;
      }
      return undefined;
    },
  };
  return policy;
}

function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.replace(/%.*$/, '')));
}
