/**
 * /api/v1 identities, part 1: users, role assignments, the built-in roles, anonymous pull,
 * signing keys, and `whoami`. Changes need `admin` (Owner) and are audited (`user.*`,
 * `role.*`, `settings.anonymous-pull`, `signing-key.rotate`).
 *
 * Decision: the last registry-wide Owner cannot be deleted or lose Owner (409 CONFLICT):
 * otherwise nobody could ever administer the registry again without database surgery.
 * Decision: a generated password is returned once in the response and never stored in clear.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import type { StoreRoles } from '../persistence/index.ts';
import { BUILT_IN_ROLES, ROLES, type RoleName } from '../access/roles.ts';
import { REGISTRY_ACTIONS } from '../access/actions.ts';
import { isValidPattern } from '../access/patterns.ts';
import { registryError } from '../errors/index.ts';
import { generateSecret, hashPassword } from '../auth/passwords.ts';
import { ANONYMOUS_PULL_SETTING, NULL_GUID } from '../auth/identities.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { AnonymousPull, Assignment, AssignmentBody, CreatedUser, NewUser, PasswordBody, PasswordSet, RoleInfo, SigningKey, SigningKeyRotated, User, UserParam, WhoAmI } from './identity-schemas.ts';

const admin = { kind: 'registry', action: 'admin' } as const;
const tags = ['identities'];

export function audit(tx: StoreRoles, request: FastifyRequest, action: string, target: string, before?: unknown, after?: unknown) {
  return tx.audit.append({ actor: request.access.principal.name, action, target, before, after, requestId: request.id });
}

function checkPattern(repository: string | undefined) {
  if (repository !== undefined && !isValidPattern(repository)) {
    throw registryError('BAD_REQUEST', `repository: ${JSON.stringify(repository)} is not a repository name, \`prefix/*\` or \`*\``);
  }
}

async function registryWideOwners(tx: StoreRoles): Promise<string[]> {
  return (await tx.roleAssignments.list()).filter((a) => a.role === 'Owner' && a.repository === undefined).map((a) => a.userName);
}

/** The routes of this file (the route table: src/http/route-table.ts). */
export const userRoutes = declareRoutes({
  getWhoami: { method: 'GET', url: '/api/v1/whoami', api: 'api', access: { kind: 'authenticated' }, tags, summary: 'Who the caller is and what it may do registry-wide', schema: { response: { 200: WhoAmI } } },
  getRoles: { method: 'GET', url: '/api/v1/roles', api: 'api', access: { kind: 'authenticated' }, tags, summary: 'The built-in roles and what they allow', schema: { response: { 200: Type.Array(RoleInfo) } } },
  getUsers: { method: 'GET', url: '/api/v1/users', api: 'api', access: admin, tags, summary: 'List users with their role assignments', schema: { response: { 200: Type.Array(User) } } },
  getUsersByUser: { method: 'GET', url: '/api/v1/users/:user', api: 'api', access: admin, tags, summary: 'One user', schema: { params: UserParam, response: { 200: User } } },
  postUsers: { method: 'POST', url: '/api/v1/users', api: 'api', access: admin, tags, summary: 'Create a user (password generated and returned once when omitted)', bodyLimit: 64 * 1024, schema: { body: NewUser, response: { 201: CreatedUser } } },
  deleteUsersByUser: { method: 'DELETE', url: '/api/v1/users/:user', api: 'api', access: admin, tags, summary: 'Delete a user and its role assignments', schema: { params: UserParam } },
  putUsersByUserPassword: { method: 'PUT', url: '/api/v1/users/:user/password', api: 'api', access: admin, tags, summary: 'Set a user\'s password (generated and returned once when omitted)', bodyLimit: 16 * 1024, schema: { params: UserParam, body: PasswordBody, response: { 200: PasswordSet } } },
  getRoleAssignments: { method: 'GET', url: '/api/v1/role-assignments', api: 'api', access: admin, tags, summary: 'List role assignments', schema: { querystring: Type.Object({ user: Type.Optional(Type.String({ maxLength: 64 })) }), response: { 200: Type.Array(Assignment) } } },
  postRoleAssignments: { method: 'POST', url: '/api/v1/role-assignments', api: 'api', access: admin, tags, summary: 'Assign a role, registry-wide or on a repository pattern', bodyLimit: 16 * 1024, schema: { body: AssignmentBody, response: { 201: Assignment } } },
  deleteRoleAssignments: { method: 'DELETE', url: '/api/v1/role-assignments', api: 'api', access: admin, tags, summary: 'Remove a role assignment', schema: { querystring: AssignmentBody } },
  getAnonymousPull: { method: 'GET', url: '/api/v1/anonymous-pull', api: 'api', access: { kind: 'authenticated' }, tags, summary: 'Whether anonymous pull is on', schema: { response: { 200: AnonymousPull } } },
  putAnonymousPull: { method: 'PUT', url: '/api/v1/anonymous-pull', api: 'api', access: admin, tags, summary: 'Switch anonymous pull (never reaches held content)', bodyLimit: 1024, schema: { body: AnonymousPull, response: { 200: AnonymousPull } } },
  getSigningKeys: { method: 'GET', url: '/api/v1/signing-keys', api: 'api', access: admin, tags, summary: 'Token signing keys (public parts)', schema: { response: { 200: Type.Array(SigningKey) } } },
  postSigningKeysRotate: { method: 'POST', url: '/api/v1/signing-keys/rotate', api: 'api', access: admin, tags, summary: 'Start signing with a new key; old keys verify until their tokens expire', schema: { response: { 200: SigningKeyRotated } } },
});

export function registerIdentityUserRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;

  async function userJson(tx: StoreRoles, name: string) {
    const u = await tx.users.get(name);
    if (!u) throw registryError('NOT_FOUND', `user ${name} not found`);
    const roles = (await tx.roleAssignments.listForUser(u.id)).map((a) => ({ role: a.role, ...(a.repository ? { repository: a.repository } : {}) }));
    return { name: u.name, createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString(), roles };
  }

  serve(app, userRoutes.getWhoami, async (request) => {
    const a = request.access;
    const p = a.principal;
    const roles = p.kind === 'user' ? ((await store.users.getById(p.id)) ? (await store.roleAssignments.listForUser(p.id)).map((r) => ({ role: r.role, repository: r.repository })) : []) : [];
    return { kind: p.kind, name: p.name, roles, registry: REGISTRY_ACTIONS.filter((x) => a.canRegistry(x)) };
  });

  serve(app, userRoutes.getRoles, async () =>
    BUILT_IN_ROLES.map((name) => ({ name, id: ROLES[name].id, description: ROLES[name].description, repositoryActions: [...ROLES[name].repository], registryActions: [...ROLES[name].registry] })));

  serve(app, userRoutes.getUsers, async () => {
    const assignments = await store.roleAssignments.list();
    return (await store.users.list()).map((u) => ({
      name: u.name,
      createdAt: u.createdAt.toISOString(),
      updatedAt: u.updatedAt.toISOString(),
      roles: assignments.filter((a) => a.userId === u.id).map((a) => ({ role: a.role, ...(a.repository ? { repository: a.repository } : {}) })),
    }));
  });

  serve(app, userRoutes.getUsersByUser, async (request) =>
    userJson(store, (request.params).user));

  serve(app, userRoutes.postUsers, async (request, reply) => {
      const body = request.body;
      if (body.name === NULL_GUID) throw registryError('BAD_REQUEST', 'name: the null GUID is reserved for refresh-token logins');
      for (const r of body.roles ?? []) checkPattern(r.repository);
      const password = body.password ?? generateSecret();
      const hash = await hashPassword(password);
      const result = await store.transaction(async (tx) => {
        if (await tx.registryTokens.get(body.name)) throw registryError('CONFLICT', `a token named ${body.name} exists; users and tokens share one namespace`);
        const user = await tx.users.create(body.name, hash);
        if (!user) throw registryError('CONFLICT', `user ${body.name} exists`);
        for (const r of body.roles ?? []) await tx.roleAssignments.add(user.id, r.role as RoleName, r.repository);
        await audit(tx, request, 'user.create', `user:${body.name}`, undefined, { roles: body.roles ?? [] });
        return userJson(tx, body.name);
      });
      reply.status(201);
      return { ...result, ...(body.password === undefined ? { password } : {}) };
    });

  serve(app, userRoutes.deleteUsersByUser, async (request, reply) => {
    const { user } = request.params;
    await store.transaction(async (tx) => {
      const owners = await registryWideOwners(tx);
      if (owners.length === 1 && owners[0] === user) throw registryError('CONFLICT', `${user} is the last registry-wide Owner and cannot be deleted`);
      if (!(await tx.users.delete(user))) throw registryError('NOT_FOUND', `user ${user} not found`);
      await audit(tx, request, 'user.delete', `user:${user}`);
    });
    reply.status(204);
  });

  serve(app, userRoutes.putUsersByUserPassword, async (request) => {
      const { user } = request.params;
      // An empty body is allowed (a generated password): Fastify reads it as none.
      const body: { password?: string } = request.body ?? {};
      const password = body.password ?? generateSecret();
      const hash = await hashPassword(password);
      await store.transaction(async (tx) => {
        if (!(await tx.users.setPasswordHash(user, hash))) throw registryError('NOT_FOUND', `user ${user} not found`);
        await audit(tx, request, 'user.set-password', `user:${user}`);
      });
      return { name: user, ...(body.password === undefined ? { password } : {}) };
    });

  const assignmentJson = (a: { userName: string; role: RoleName; repository?: string; createdAt: Date }) => ({
    user: a.userName,
    role: a.role,
    ...(a.repository ? { repository: a.repository } : {}),
    createdAt: a.createdAt.toISOString(),
  });

  serve(app, userRoutes.getRoleAssignments, async (request) => {
      const { user } = request.query;
      return (await store.roleAssignments.list()).filter((a) => !user || a.userName === user).map(assignmentJson);
    });

  serve(app, userRoutes.postRoleAssignments, async (request, reply) => {
      const body = request.body;
      checkPattern(body.repository);
      const a = await store.transaction(async (tx) => {
        const user = await tx.users.get(body.user);
        if (!user) throw registryError('NOT_FOUND', `user ${body.user} not found`);
        const added = await tx.roleAssignments.add(user.id, body.role as RoleName, body.repository);
        await audit(tx, request, 'role.assign', `user:${body.user}`, undefined, { role: body.role, repository: body.repository ?? null });
        return added;
      });
      reply.status(201);
      return assignmentJson(a);
    });

  serve(app, userRoutes.deleteRoleAssignments, async (request, reply) => {
      const q = request.query;
      await store.transaction(async (tx) => {
        const user = await tx.users.get(q.user);
        if (!user) throw registryError('NOT_FOUND', `user ${q.user} not found`);
        if (q.role === 'Owner' && q.repository === undefined) {
          const owners = await registryWideOwners(tx);
          if (owners.length === 1 && owners[0] === q.user) throw registryError('CONFLICT', `${q.user} is the last registry-wide Owner`);
        }
        if (!(await tx.roleAssignments.remove(user.id, q.role as RoleName, q.repository))) {
          throw registryError('NOT_FOUND', `${q.user} has no ${q.role} assignment${q.repository ? ` on ${q.repository}` : ' registry-wide'}`);
        }
        await audit(tx, request, 'role.remove', `user:${q.user}`, { role: q.role, repository: q.repository ?? null }, undefined);
      });
      reply.status(204);
    });

  serve(app, userRoutes.getAnonymousPull, async () => ({
    enabled: (await store.settings.get<boolean>(ANONYMOUS_PULL_SETTING)) === true,
  }));
  serve(app, userRoutes.putAnonymousPull, async (request) => {
    const { enabled } = request.body;
    await store.transaction(async (tx) => {
      const before = (await tx.settings.get<boolean>(ANONYMOUS_PULL_SETTING)) === true;
      await tx.settings.set(ANONYMOUS_PULL_SETTING, enabled);
      await audit(tx, request, 'settings.anonymous-pull', 'settings:anonymous-pull', { enabled: before }, { enabled });
    });
    services.identity.resolver.forgetSettings();
    return { enabled };
  });

  serve(app, userRoutes.getSigningKeys, async () =>
    (await store.signingKeys.list()).map((k) => ({ kid: k.kid, alg: k.alg, createdAt: k.createdAt.toISOString(), retiredAt: k.retiredAt?.toISOString() ?? null, publicJwk: k.publicJwk })));
  serve(app, userRoutes.postSigningKeysRotate, async (request) => {
    const kid = await services.identity.keys.rotate();
    await audit(store, request, 'signing-key.rotate', `signing-key:${kid}`);
    return { kid };
  });
}
