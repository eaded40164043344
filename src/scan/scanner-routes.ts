/**
 * /api/v1/scanners: registered Harbor-API scanners (docs/scanning.md). `configure` (Owner,
 * Contributor). Secrets are write-only (never returned, never audited). Registration reads
 * the adapter's metadata at once; the answer carries its health.
 *
 *   POST   /api/v1/scanners                 register {name, url, auth?, patterns?, default?, enabled?} (201)
 *   GET    /api/v1/scanners                 list, with health
 *   GET    /api/v1/scanners/{name}          one
 *   PATCH  /api/v1/scanners/{name}          change fields (auth replaces the secret)
 *   DELETE /api/v1/scanners/{name}          unregister (its jobs wait for another scanner)
 *   POST   /api/v1/scanners/{name}/check    read its metadata now
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Services } from '../services.ts';
import type { ScanTx as StoreRoles } from './store/index.ts';
import { registryError } from '../errors/index.ts';
import { isValidPattern } from '../access/patterns.ts';
import type { ScannerAuthKind, ScannerInput, ScannerRecord } from './scanner-store.ts';
import { scannerView } from './views.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { ScannerList, ScannerView } from './scan-schemas.ts';

const configure = { access: { kind: 'registry', action: 'configure' } } as const;
const tags = ['scanners'];
export const SCANNER_NAME = '^[a-z0-9][a-z0-9-]{0,62}$';
/** A listing re-reads scanners last checked longer ago than this, waiting at most LISTING_WAIT_MS. */
const LISTING_FRESH_MS = 5_000;
const LISTING_WAIT_MS = 2_000;

const Auth = Type.Object(
  {
    type: Type.Union([Type.Literal('none'), Type.Literal('basic'), Type.Literal('bearer'), Type.Literal('api-key')]),
    username: Type.Optional(Type.String({ maxLength: 256 })),
    password: Type.Optional(Type.String({ maxLength: 4096 })),
    token: Type.Optional(Type.String({ maxLength: 8192 })),
  },
  { additionalProperties: false },
);
const Fields = {
  url: Type.String({ maxLength: 2048 }),
  auth: Type.Optional(Auth),
  patterns: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 100 })),
  default: Type.Optional(Type.Boolean()),
  enabled: Type.Optional(Type.Boolean()),
};
const CreateBody = Type.Object({ name: Type.String({ pattern: SCANNER_NAME }), ...Fields }, { additionalProperties: false });
const UpdateBody = Type.Object({ ...Fields, url: Type.Optional(Fields.url) }, { additionalProperties: false });
const NameParams = Type.Object({ name: Type.String({ pattern: SCANNER_NAME }) });

function checkUrl(url: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw registryError('BAD_REQUEST', `url must be an http or https URL (got ${JSON.stringify(url.slice(0, 100))})`, { field: 'url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw registryError('BAD_REQUEST', 'url must be an http or https URL', { field: 'url' });
  if (u.username || u.password) throw registryError('BAD_REQUEST', 'url must not carry credentials: use auth', { field: 'url' });
}

function parseAuth(auth: Static<typeof Auth> | undefined): { authKind: ScannerAuthKind; authSecret?: string } | undefined {
  if (!auth) return undefined;
  switch (auth.type) {
    case 'none':
      return { authKind: 'none' };
    case 'basic':
      if (!auth.username || auth.password === undefined) throw registryError('BAD_REQUEST', 'basic auth needs username and password', { field: 'auth' });
      if (auth.username.includes(':')) throw registryError('BAD_REQUEST', 'a basic auth username cannot contain ":"', { field: 'auth.username' });
      return { authKind: 'basic', authSecret: `${auth.username}:${auth.password}` };
    default:
      if (!auth.token) throw registryError('BAD_REQUEST', `${auth.type} auth needs token`, { field: 'auth.token' });
      return { authKind: auth.type, authSecret: auth.token };
  }
}

function checkPatterns(patterns: string[] | undefined) {
  for (const [i, p] of (patterns ?? []).entries()) {
    if (!isValidPattern(p)) throw registryError('BAD_REQUEST', `patterns[${i}] must be a repository name, a prefix ending in /*, or * (got ${JSON.stringify(p.slice(0, 100))})`, { field: `patterns[${i}]` });
  }
}

/** What the audit log may hold: nothing write-only. */
const auditView = (s: ScannerRecord) => ({ url: s.url, auth: s.authKind, patterns: s.patterns, default: s.isDefault, enabled: s.enabled });

/** The routes of this file (the route table: src/http/route-table.ts). */
export const scannerRoutes = declareRoutes({
  postScanners: { method: 'POST', url: '/api/v1/scanners', api: 'api', access: configure.access, tags, summary: 'Register a Harbor Pluggable Scanner API adapter', bodyLimit: 64 * 1024, schema: { body: CreateBody, response: { 201: ScannerView } } },
  getScanners: { method: 'GET', url: '/api/v1/scanners', api: 'api', access: configure.access, tags, summary: 'Registered scanners with their health', schema: { response: { 200: ScannerList } } },
  getScannersByName: { method: 'GET', url: '/api/v1/scanners/:name', api: 'api', access: configure.access, tags, summary: 'One scanner', schema: { params: NameParams, response: { 200: ScannerView } } },
  patchScannersByName: { method: 'PATCH', url: '/api/v1/scanners/:name', api: 'api', access: configure.access, tags, summary: 'Change a scanner', bodyLimit: 64 * 1024, schema: { params: NameParams, body: UpdateBody, response: { 200: ScannerView } } },
  deleteScannersByName: { method: 'DELETE', url: '/api/v1/scanners/:name', api: 'api', access: configure.access, tags, summary: 'Unregister a scanner', schema: { params: NameParams } },
  postScannersByNameCheck: { method: 'POST', url: '/api/v1/scanners/:name/check', api: 'api', access: configure.access, tags, summary: "Read a scanner's metadata now", schema: { params: NameParams, response: { 200: ScannerView } } },
});

export function registerScannerRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;
  const audit = (tx: StoreRoles, request: FastifyRequest, action: string, name: string, before?: unknown, after?: unknown) =>
    tx.audit.append({ actor: request.access.principal.name, action, target: `scanner:${name}`, before, after, requestId: request.id });
  const mustGet = async (name: string) => {
    const s = await store.scanners.get(name);
    if (!s) throw registryError('NOT_FOUND', `scanner "${name}" not found`);
    return s;
  };

  serve(app, scannerRoutes.postScanners, async (request, reply) => {
    const body = request.body;
    checkUrl(body.url);
    checkPatterns(body.patterns);
    const input: ScannerInput = { url: body.url, authKind: 'none', ...parseAuth(body.auth), patterns: body.patterns ?? ['*'], isDefault: body.default ?? false, enabled: body.enabled ?? true };
    const created = await store.transaction(async (tx) => {
      const s = await tx.scanners.create(body.name, input);
      if (!s) throw registryError('CONFLICT', `scanner "${body.name}" already exists`);
      await audit(tx, request, 'scanner.create', body.name, undefined, auditView(s));
      return s;
    });
    const checked = (await services.scan.health.check(created.name)) ?? created;
    await services.scan.dispatcher.wakeWaiting();
    reply.status(201);
    return scannerView(checked);
  });

  // A listing shows health and database times at most a few seconds old (not up to the
  // monitor's interval), without letting a slow adapter hold the answer for long.
  const fresh = () => services.scan.health.refreshStale(LISTING_FRESH_MS, LISTING_WAIT_MS);

  serve(app, scannerRoutes.getScanners, async () => {
    await fresh();
    return { scanners: (await store.scanners.list()).map(scannerView) };
  });

  serve(app, scannerRoutes.getScannersByName, async (request) => {
    await fresh();
    return scannerView(await mustGet(request.params.name));
  });

  serve(app, scannerRoutes.patchScannersByName, async (request) => {
    const { name } = request.params;
    const body = request.body;
    if (body.url !== undefined) checkUrl(body.url);
    checkPatterns(body.patterns);
    const patch: Partial<ScannerInput> = {
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...parseAuth(body.auth),
      ...(body.patterns !== undefined ? { patterns: body.patterns } : {}),
      ...(body.default !== undefined ? { isDefault: body.default } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    };
    await store.transaction(async (tx) => {
      const before = await tx.scanners.get(name);
      if (!before) throw registryError('NOT_FOUND', `scanner "${name}" not found`);
      const after = await tx.scanners.update(name, patch);
      await audit(tx, request, 'scanner.update', name, auditView(before), auditView(after!));
    });
    const checked = await services.scan.health.check(name);
    await services.scan.dispatcher.wakeWaiting();
    return scannerView(checked ?? (await mustGet(name)));
  });

  serve(app, scannerRoutes.deleteScannersByName, async (request, reply) => {
    const { name } = request.params;
    await store.transaction(async (tx) => {
      const before = await tx.scanners.get(name);
      if (!before) throw registryError('NOT_FOUND', `scanner "${name}" not found`);
      await tx.scanners.delete(name);
      await audit(tx, request, 'scanner.delete', name, auditView(before));
    });
    return reply.status(204).send();
  });

  serve(app, scannerRoutes.postScannersByNameCheck, async (request) => {
    const { name } = request.params;
    await mustGet(name);
    const checked = await services.scan.health.check(name);
    await services.scan.dispatcher.wakeWaiting();
    return scannerView(checked!);
  });
}
