/**
 * The CLI's client for a running registry. Every admin command accepts
 * `--registry URL -u USER -p PASS` or LAZARET_REGISTRY / LAZARET_USERNAME / LAZARET_PASSWORD,
 * falling back to what `lazaret login` stored. Errors from the registry are turned into one
 * readable line (the registry's error code and message) and a non-zero exit.
 */

export interface Connection {
  registry: string;
  username?: string;
  password?: string;
}

export class CliError extends Error {}

export interface ConnectionOptions {
  registry?: string;
  username?: string;
  password?: string;
}

/** Adds the shared connection options to an admin command. */
export function withConnection<T extends { option: (...a: string[]) => T }>(cmd: T): T {
  return cmd
    .option('--registry <url>', 'registry URL (env LAZARET_REGISTRY)')
    .option('-u, --username <user>', 'user or token name (env LAZARET_USERNAME)')
    .option('-p, --password <password>', 'password (env LAZARET_PASSWORD)')
    .option('-o, --output <format>', 'table or json', 'table');
}

export type CredentialLookup = (registry: string | undefined) => Connection | undefined;
let storedLookup: CredentialLookup = () => undefined;
/** The login command installs the stored-credential lookup. */
export function setStoredCredentialLookup(lookup: CredentialLookup) {
  storedLookup = lookup;
}

export function resolveConnection(opts: ConnectionOptions, env = process.env): Connection {
  const registryOpt = opts.registry ?? env.LAZARET_REGISTRY;
  const stored = storedLookup(registryOpt);
  const registry = registryOpt ?? stored?.registry;
  if (!registry) throw new CliError('no registry: pass --registry URL, set LAZARET_REGISTRY, or run `lazaret login REGISTRY`');
  const normalized = /^https?:\/\//.test(registry) ? registry.replace(/\/+$/, '') : `http://${registry}`;
  return {
    registry: normalized,
    username: opts.username ?? env.LAZARET_USERNAME ?? stored?.username,
    password: opts.password ?? env.LAZARET_PASSWORD ?? stored?.password,
  };
}

export async function callApi<T = unknown>(
  conn: Connection,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Record<string, string | string[] | undefined> }> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (conn.username !== undefined) {
    h.authorization = `Basic ${Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64')}`;
  }
  // State-changing calls declare JSON even without a body: the API refuses anything else (src/http/json-bodies.ts).
  if (body !== undefined || ['POST', 'PUT', 'PATCH'].includes(method.toUpperCase())) h['content-type'] ??= 'application/json';
  let res;
  try {
    // Imported here, not at the top: every command module imports this file, `lazaret serve`
    // included, and the server itself needs no HTTP client.
    const { request } = await import('../http/http-client.ts');
    res = await request(conn.registry + path, {
      method: method as 'GET',
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach ${conn.registry}: ${(err as Error).message}`);
  }
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  if (res.statusCode >= 400) {
    const first = (parsed as { errors?: { code: string; message: string }[] })?.errors?.[0];
    throw new CliError(first ? `${res.statusCode} ${first.code}: ${first.message}` : `${res.statusCode}: ${text.slice(0, 200)}`);
  }
  return { status: res.statusCode, body: parsed as T, headers: res.headers };
}

/**
 * GET `path` and copy the response body to `out` as it arrives (an export of any size, never
 * held whole in memory). A refusal reads like callApi's: one line with the registry's code.
 */
export async function streamApi(conn: Connection, path: string, out: NodeJS.WritableStream): Promise<void> {
  const h: Record<string, string> = {};
  if (conn.username !== undefined) h.authorization = `Basic ${Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64')}`;
  let res;
  try {
    const { request } = await import('../http/http-client.ts');
    res = await request(conn.registry + path, { method: 'GET', headers: h });
  } catch (err) {
    throw new CliError(`cannot reach ${conn.registry}: ${(err as Error).message}`);
  }
  if (res.statusCode >= 400) {
    const text = await res.body.text();
    let first: { code: string; message: string } | undefined;
    try {
      first = (JSON.parse(text) as { errors?: { code: string; message: string }[] }).errors?.[0];
    } catch {
      /* not JSON */
    }
    throw new CliError(first ? `${res.statusCode} ${first.code}: ${first.message}` : `${res.statusCode}: ${text.slice(0, 200)}`);
  }
  const { pipeline } = await import('node:stream/promises');
  await pipeline(res.body, out, { end: false });
}

/** Prints rows as an aligned table, or JSON with `--output json`. */
export function printResult(output: string | undefined, value: unknown, rows?: Record<string, unknown>[]) {
  if (output === 'json' || !rows) {
    console.log(JSON.stringify(value, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(cols.map((c) => c.toUpperCase())));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}
