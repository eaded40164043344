/**
 * TypeBox schemas of the /api/v1 identities (identity-users.ts, identity-tokens.ts): whoami,
 * the built-in roles, users and their role assignments, repository-scoped tokens and scope
 * maps. Schema-only (typebox and the plain lists of role and action names): the route table
 * declares these objects, and the CLI and the portal import them as types (docs/architecture.md
 * "Wire types"), so a change of shape here fails their type check.
 */
import { Type } from 'typebox';
import { BUILT_IN_ROLES } from '../access/roles.ts';
import { REGISTRY_ACTIONS } from '../access/actions.ts';

/** Who may be a user or a token: what ACR accepts, and never a path separator. */
export const IDENTITY_NAME = '^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$';

export const RoleName = Type.Enum([...BUILT_IN_ROLES]);
/** A role held registry-wide (no repository) or on a repository pattern (`team-a/*`). */
export const RoleGrant = Type.Object({ role: RoleName, repository: Type.Optional(Type.String()) });

export const WhoAmI = Type.Object({
  kind: Type.String({ description: 'user, token, anonymous, …' }),
  name: Type.String(),
  roles: Type.Array(RoleGrant),
  registry: Type.Array(Type.Enum([...REGISTRY_ACTIONS]), { description: 'the registry-wide actions the caller may take' }),
});

export const RoleInfo = Type.Object({
  name: RoleName,
  id: Type.String({ description: "ACR's role definition id" }),
  description: Type.String(),
  repositoryActions: Type.Array(Type.String()),
  registryActions: Type.Array(Type.String()),
});

export const User = Type.Object({ name: Type.String(), createdAt: Type.String(), updatedAt: Type.String(), roles: Type.Array(RoleGrant) });
export const NewUser = Type.Object({
  name: Type.String({ pattern: IDENTITY_NAME }),
  password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  roles: Type.Optional(Type.Array(Type.Object({ role: RoleName, repository: Type.Optional(Type.String({ maxLength: 300 })) }), { maxItems: 100 })),
});
/** The created user; `password` only when the registry generated it (shown this once). */
export const CreatedUser = Type.Object({ ...User.properties, password: Type.Optional(Type.String()) });
export const PasswordBody = Type.Object({ password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })) });
export const PasswordSet = Type.Object({ name: Type.String(), password: Type.Optional(Type.String({ description: 'only when generated; shown this once' })) });
export const UserParam = Type.Object({ user: Type.String({ maxLength: 64 }) });

export const Assignment = Type.Object({ user: Type.String(), role: RoleName, repository: Type.Optional(Type.String()), createdAt: Type.String() });
export const AssignmentBody = Type.Object({ user: Type.String({ maxLength: 64 }), role: RoleName, repository: Type.Optional(Type.String({ maxLength: 300 })) });

export const TokenStatus = Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]);
export const PasswordName = Type.Union([Type.Literal('password1'), Type.Literal('password2')]);
export const NewPassword = Type.Object({ name: PasswordName, expiry: Type.Optional(Type.String({ format: 'date-time' })) });
export const NewToken = Type.Object({
  name: Type.String({ pattern: IDENTITY_NAME }),
  scopeMap: Type.String({ maxLength: 50 }),
  status: Type.Optional(TokenStatus),
  passwords: Type.Optional(Type.Array(NewPassword, { maxItems: 2, description: 'which passwords to generate now (default: password1 without expiry)' })),
});
export const TokenPatch = Type.Object({ status: Type.Optional(TokenStatus), scopeMap: Type.Optional(Type.String({ maxLength: 50 })) });
export const TokenParam = Type.Object({ token: Type.String({ maxLength: 64 }) });

export const Token = Type.Object({
  name: Type.String(),
  scopeMap: Type.String(),
  status: TokenStatus,
  passwords: Type.Array(Type.Object({ name: PasswordName, creationTime: Type.String(), expiry: Type.Union([Type.String(), Type.Null()]) })),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
/** A generated token password: its value is in this response only. */
export const GeneratedPassword = Type.Object({ name: PasswordName, value: Type.String(), expiry: Type.Union([Type.String(), Type.Null()]) });
export const CreatedToken = Type.Object({ ...Token.properties, credentials: Type.Object({ username: Type.String(), passwords: Type.Array(GeneratedPassword) }) });
export const TokenPassword = Type.Object({ username: Type.String(), ...GeneratedPassword.properties });

export const ScopeMap = Type.Object({
  name: Type.String(),
  description: Type.String(),
  actions: Type.Array(Type.String()),
  type: Type.Union([Type.Literal('SystemDefined'), Type.Literal('UserDefined')]),
  createdAt: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});
export const ScopeMapParam = Type.Object({ name: Type.String({ maxLength: 50 }) });
export const ScopeMapBody = Type.Object({ description: Type.Optional(Type.String({ maxLength: 256 })), actions: Type.Array(Type.String({ maxLength: 400 }), { minItems: 1, maxItems: 500 }) });

/** GET/PUT /api/v1/anonymous-pull. */
export const AnonymousPull = Type.Object({ enabled: Type.Boolean() });

/** GET /api/v1/signing-keys: the public parts of the token signing keys. */
export const SigningKey = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  createdAt: Type.String(),
  retiredAt: Type.Union([Type.String(), Type.Null()], { description: 'null: the key signing now' }),
  publicJwk: Type.Unknown({ description: 'the public key as a JWK' }),
});
export const SigningKeyRotated = Type.Object({ kid: Type.String() });
