/**
 * Scenario 6: the token endpoint (GET /oauth2/token with Basic auth) at concurrency 16.
 * Lazaret only: Distribution has no token service of its own.
 */
import { REPOS } from '../lib/fixture.ts';
import { pullScope } from '../lib/registry-client.ts';
import { check, type Scenario } from '../lib/scenario.ts';
import { runWrk } from '../lib/wrk.ts';

export const tokenEndpoint: Scenario = {
  id: 'token',
  group: 6,
  title: 'token endpoint GET /oauth2/token (Basic), c=16',
  unit: 'req/s',
  onVariants: true,
  tokenOnly: true,
  async prepare(ctx) {
    const auth = ctx.target.instance.client.auth;
    if (!auth) throw new Error('the token scenario needs an auth-on instance');
    const url = auth.tokenUrl([pullScope(REPOS.manifests)]);
    return {
      async run() {
        const r = await runWrk(ctx.wrkPath, ctx.workDir, { url, connections: 16, seconds: ctx.seconds, headers: { authorization: auth.basic } });
        return { ops: r.requests, seconds: r.seconds, errors: r.errors, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
      },
      async verify() {
        const res = await fetch(url, { headers: { authorization: auth.basic } });
        const body = await res.json() as { token?: string; access_token?: string };
        const token = body.access_token ?? body.token ?? '';
        check(res.status === 200 && token.split('.').length === 3, `token endpoint answered ${res.status} without a JWT`);
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access?: { name?: string; actions?: string[] }[] };
        check(claims.access?.some((a) => a.name === REPOS.manifests && a.actions?.includes('pull')), 'token lacks the pull grant it was asked for');
        return 1;
      },
    };
  },
};
