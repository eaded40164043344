/**
 * A small HTTP server that behaves like the Trivy adapter (goharbor/harbor-scanner-trivy) as
 * docs/scanner.md describes it, quirks included, for testing Lazaret's adapter client and
 * orchestrator without Trivy:
 * - metadata with Trivy's capabilities and `vulnerability-database-updated-at` (settable);
 * - POST /scan ignores Content-Type, answers 400 for bad JSON and 422 for a missing
 *   registry.url / repository / digest, 202 {id};
 * - it really pulls the manifest from the registry with the credential it was given (Docker
 *   token auth, like the adapter's image pull), so a credential that does not work fails the scan;
 * - GET /scan/{id}/report: Accept must be exactly the vulnerability 1.1 or SBOM 1.0 type,
 *   `*\/*` or empty, else 415; not ready: 302 with a Location and NO Refresh-After; failed:
 *   500 with `application/vnd.scanner.adapter.error; version=1.0`; unknown id: 404;
 * - a clean image's report OMITS `severity` and `vulnerabilities`;
 * - `forgetNext` makes it accept a job and then forget it (404), as the adapter does with jobs
 *   published while no worker listens.
 * What an image "contains" is the test's: `findings` maps a manifest digest to the
 * vulnerabilities to report (this stands in for an external scanner; the built-in scanner's
 * own tests derive findings from real feeds).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

const VULN = 'application/vnd.security.vulnerability.report; version=1.1';
const SBOM = 'application/vnd.security.sbom.report+json; version=1.0';
const ERROR = 'application/vnd.scanner.adapter.error; version=1.0';

export interface FakeVulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
}

interface Job {
  id: string;
  request: any;
  readyAt: number;
  status: 'queued' | 'done' | 'failed';
  report?: unknown;
  sbom?: unknown;
  error?: string;
}

export interface TrivyLikeAdapter {
  url: string;
  port: number;
  /** Digest -> findings; a digest not listed is clean. */
  findings: Map<string, FakeVulnerability[]>;
  /** Every scan request received (to inspect the credential and shape). */
  requests: any[];
  /** Report GETs received, with their Accept header. */
  polls: { id: string; accept: string | undefined }[];
  dbUpdatedAt: string;
  /** How long a scan takes (ms). */
  scanMs: number;
  /** Accept the next N scans and then forget them. */
  forgetNext: number;
  /** When set, the API key the adapter requires (X-ScannerAdapter-API-Key). */
  apiKey?: string;
  /** When true, metadata requests are accepted and never answered (a hung adapter). */
  hangMetadata: boolean;
  /** Stop listening (connections refused) / listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function pullManifest(registry: string, authorization: string, repository: string, digest: string): Promise<string> {
  const target = `${registry}/v2/${repository}/manifests/${digest}`;
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  let res = await request(target, { headers: { accept } });
  if (res.statusCode === 401) {
    await res.body.text();
    const challenge = String(res.headers['www-authenticate'] ?? '');
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
    const service = /service="([^"]+)"/.exec(challenge)?.[1];
    if (!realm) throw new Error(`no token realm in ${challenge}`);
    const t = await request(`${realm}?service=${encodeURIComponent(service ?? '')}&scope=${encodeURIComponent(`repository:${repository}:pull`)}`, { headers: { authorization } });
    const body = (await t.body.json()) as { token?: string; access_token?: string };
    if (t.statusCode !== 200) throw new Error(`token request failed: ${t.statusCode}`);
    res = await request(target, { headers: { accept, authorization: `Bearer ${body.token ?? body.access_token}` } });
  }
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`pull ${repository}@${digest} failed: ${res.statusCode} ${text.slice(0, 200)}`);
  return text;
}

export async function startTrivyLikeAdapter(options: { dbUpdatedAt?: string; scanMs?: number; apiKey?: string } = {}): Promise<TrivyLikeAdapter> {
  const jobs = new Map<string, Job>();
  let server: Server;
  const state: TrivyLikeAdapter = {
    url: '',
    port: 0,
    findings: new Map(),
    requests: [],
    polls: [],
    dbUpdatedAt: options.dbUpdatedAt ?? '2026-11-30T06:12:00Z',
    scanMs: options.scanMs ?? 0,
    forgetNext: 0,
    hangMetadata: false,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    down: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    up: async () => {
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(state.port, '127.0.0.1', () => r()));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function run(job: Job) {
    const { registry, artifact } = job.request;
    try {
      await pullManifest(registry.url, registry.authorization, artifact.repository, artifact.digest);
      const vulns = state.findings.get(artifact.digest) ?? [];
      const base = { generated_at: new Date().toISOString(), artifact: { repository: artifact.repository, digest: artifact.digest, mime_type: artifact.mime_type }, scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' } };
      const order = ['Unknown', 'Low', 'Medium', 'High', 'Critical'];
      job.report = vulns.length
        ? { ...base, severity: vulns.map((v) => v.severity).sort((a, b) => order.indexOf(b) - order.indexOf(a))[0], vulnerabilities: vulns.map((v) => ({ ...v, status: 'fixed', links: [`https://avd.aquasec.com/nvd/${v.id.toLowerCase()}`], layer: { digest: 'sha256:' + '0'.repeat(64) } })) }
        : base; // Trivy omits severity and vulnerabilities for a clean image.
      const packages = vulns.map((v) => ({ name: v.package, version: v.version }));
      job.sbom = {
        'application/vnd.cyclonedx+json': { ...base, media_type: 'application/vnd.cyclonedx+json', sbom: { bomFormat: 'CycloneDX', specVersion: '1.5', components: packages.map((p) => ({ type: 'library', ...p })) } },
        'application/spdx+json': { ...base, media_type: 'application/spdx+json', sbom: { spdxVersion: 'SPDX-2.3', packages: packages.map((p) => ({ name: p.name, versionInfo: p.version })) } },
      };
      job.status = 'done';
    } catch (err) {
      job.status = 'failed';
      job.error = (err as Error).message;
    }
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (state.apiKey && req.headers['x-scanneradapter-api-key'] !== state.apiKey) return send(res, 401, { error: { message: 'unauthorized' } }, ERROR);
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/api/v1/metadata') {
        if (state.hangMetadata) return;
        return send(res, 200, {
          scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' },
          capabilities: [
            { type: 'vulnerability', consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'], produces_mime_types: [VULN] },
            { type: 'sbom', consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'], produces_mime_types: [SBOM], additional_attributes: { sbom_media_types: ['application/spdx+json', 'application/vnd.cyclonedx+json'] } },
          ],
          properties: { 'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability', 'harbor.scanner-adapter/vulnerability-database-updated-at': state.dbUpdatedAt },
        }, 'application/vnd.scanner.adapter.metadata+json; version=1.0');
      }
      if (req.method === 'POST' && url.pathname === '/api/v1/scan') {
        let body: any;
        try {
          body = JSON.parse(await readBody(req));
        } catch {
          return send(res, 400, { error: { message: 'bad JSON' } }, ERROR);
        }
        if (!body?.registry?.url || !body?.artifact?.repository || !body?.artifact?.digest) return send(res, 422, { error: { message: 'missing registry.url, artifact.repository or artifact.digest' } }, ERROR);
        state.requests.push(body);
        const id = randomUUID();
        if (state.forgetNext > 0) {
          state.forgetNext--;
          return send(res, 202, { id }, 'application/vnd.scanner.adapter.scan.response+json; version=1.0');
        }
        const job: Job = { id, request: body, readyAt: Date.now() + state.scanMs, status: 'queued' };
        jobs.set(id, job);
        setTimeout(() => void run(job), state.scanMs);
        return send(res, 202, { id }, 'application/vnd.scanner.adapter.scan.response+json; version=1.0');
      }
      const m = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        const accept = req.headers.accept;
        state.polls.push({ id: m[1]!, accept });
        if (accept !== undefined && accept !== '' && accept !== '*/*' && accept !== VULN && accept !== SBOM) return send(res, 415, { error: { message: `unsupported MIME type: ${accept}` } }, ERROR);
        const job = jobs.get(m[1]!);
        if (!job) return send(res, 404, { error: { message: 'cannot find scan job' } }, ERROR);
        if (job.status === 'queued') {
          res.writeHead(302, { location: `/api/v1/scan/${job.id}/report` });
          return res.end();
        }
        if (job.status === 'failed') return send(res, 500, { error: { message: job.error } }, ERROR);
        if (accept === SBOM) {
          const sbom = (job.sbom as Record<string, unknown>)[url.searchParams.get('sbom_media_type') ?? ''];
          if (!sbom) return send(res, 400, { error: { message: 'unsupported sbom_media_type' } }, ERROR);
          return send(res, 200, sbom, SBOM);
        }
        return send(res, 200, job.report, VULN);
      }
      send(res, 404, { error: { message: 'not found' } }, ERROR);
    })().catch((err) => send(res, 500, { error: { message: String(err) } }, ERROR));
  };

  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
