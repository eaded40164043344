/**
 * Scenario 6b: a good login's latency during a brute-force flood. 240 lanes send wrong
 * passwords for the benchmark's own user from 127.0.0.2 without pause, while one lane logs the
 * same user in with the right password from 127.0.0.1 and is timed. The throttle reserves
 * attempts per (user, address) and per address before any password hashing and refuses the
 * excess at once, so the flood should cost the good login almost nothing: the hardening
 * target is a p99 under 100 ms. Lazaret only (Distribution has no token service).
 */
import { Agent, request } from 'node:http';
import { REPOS } from '../lib/fixture.ts';
import { pullScope } from '../lib/registry-client.ts';
import { check, timedLanes, type Scenario } from '../lib/scenario.ts';

const FLOOD_LANES = 240;
/** Linux routes all of 127.0.0.0/8 to loopback, so a second source address needs no setup. */
const ATTACKER_ADDRESS = '127.0.0.2';

function get(url: string, authorization: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

export const loginFlood: Scenario = {
  id: 'login-flood',
  group: 6,
  title: `good login (c=1) during ${FLOOD_LANES} concurrent bad logins from another address`,
  unit: 'req/s',
  onVariants: false,
  tokenOnly: true,
  async prepare(ctx) {
    const auth = ctx.target.instance.client.auth;
    if (!auth) throw new Error('the login-flood scenario needs an auth-on instance');
    const url = auth.tokenUrl([pullScope(REPOS.manifests)]);
    const wrong = `Basic ${Buffer.from(`${auth.user}:not-the-password`).toString('base64')}`;
    const attacker = new Agent({ keepAlive: true, maxSockets: FLOOD_LANES, localAddress: ATTACKER_ADDRESS });
    const victim = new Agent({ keepAlive: true, maxSockets: 1, localAddress: '127.0.0.1' });
    const flood = { sent: 0, refused: 0, unauthorized: 0, other: 0, failures: 0 };
    let goodStatuses: number[] = [];
    return {
      async run() {
        let flooding = true;
        const lanes = Array.from({ length: FLOOD_LANES }, async () => {
          while (flooding) {
            try {
              const status = await get(url, wrong, attacker);
              flood.sent++;
              if (status === 429) flood.refused++;
              else if (status === 401) flood.unauthorized++;
              else flood.other++;
            } catch {
              flood.failures++;
            }
          }
        });
        await new Promise((r) => setTimeout(r, 500)); // the flood is in full swing first
        goodStatuses = [];
        const outcome = await timedLanes(1, ctx.seconds, async () => {
          const status = await get(url, auth.basic, victim);
          goodStatuses.push(status);
          if (status !== 200) throw new Error(`the good login answered ${status} during the flood`);
        });
        flooding = false;
        await Promise.all(lanes);
        return outcome;
      },
      async verify() {
        check(goodStatuses.length > 0 && goodStatuses.every((s) => s === 200), 'a good login was refused during the flood');
        check(flood.refused > 0, `the flood was never refused with 429 (${JSON.stringify(flood)})`);
        check(flood.other === 0, `the flood got answers other than 401/429 (${JSON.stringify(flood)})`);
        return goodStatuses.length;
      },
      async close() {
        attacker.destroy();
        victim.destroy();
      },
    };
  },
};
