/** The one authorization hook: every route's declared access is enforced here, before its handler. */
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.ts';
import { noAccess } from '../access/actions.ts';
import { registryError } from '../errors/index.ts';

export function installAuthHook(app: FastifyInstance, authenticator: Authenticator) {
  const nobody = noAccess();
  app.decorateRequest('access', null as never);
  app.addHook('onRequest', async (request) => {
    // Unmatched routes reach the not-found handler without any access: nothing to protect.
    if (!request.routeOptions.url) {
      request.access = nobody;
      return;
    }
    const need = request.routeOptions.config.access;
    if (!need) throw registryError('DENIED', `route ${request.routeOptions.url} declares no access rule`);
    request.access = await authenticator.authorize(request, need);
  });
}
