/**
 * TypeBox schemas of the token endpoints' answers (token-routes.ts): Docker token auth's and
 * ACR's /oauth2 shapes. Schema-only: the portal's session (portal/src/api/client.ts) takes its
 * types from here (docs/architecture.md "Wire types").
 */
import { Type } from 'typebox';

/** GET/POST /oauth2/token: Docker's token response (`token` and `access_token` are the same JWT). */
export const TokenAnswer = Type.Object({
  access_token: Type.String(),
  token: Type.String(),
  expires_in: Type.Number({ description: 'seconds' }),
  issued_at: Type.String(),
  refresh_token: Type.Optional(Type.String({ description: 'with offline_token=true or access_type=offline, for a person or a repository token' })),
});

/** POST /oauth2/exchange: a refresh token for a trusted issuer's JWT. */
export const ExchangeAnswer = Type.Object({ refresh_token: Type.String() });
