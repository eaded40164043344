/**
 * Checks of webhook input beyond the schema: the serviceUri is an absolute http(s) URL, custom
 * header names are HTTP tokens that do not collide with what the dispatcher sets itself, and
 * the scope follows ACR's grammar. Errors are BAD_REQUEST naming the field.
 */
import { registryError } from '../errors/index.ts';
import { HTTP_TOKEN } from '../http/http-syntax.ts';
import { validateScope } from '../events/index.ts';
import type { DestinationPolicy } from '../events/index.ts';

/** Set by the HTTP client or the dispatcher; a custom value would break framing or signing. */
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

/**
 * The URI's syntax, then its destination (src/events/webhook-destinations.ts): a host that is,
 * or resolves to, a refused address is BAD_REQUEST now; deliveries check again on the address
 * they connect to.
 */
export async function checkServiceUri(uri: string, destinations: DestinationPolicy): Promise<void> {
  checkServiceUriSyntax(uri);
  const why = await destinations.checkHost(new URL(uri).hostname);
  if (why) throw registryError('BAD_REQUEST', `properties.serviceUri: webhooks may not deliver there: ${why}`);
}

function checkServiceUriSyntax(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw registryError('BAD_REQUEST', 'properties.serviceUri must be an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw registryError('BAD_REQUEST', 'properties.serviceUri must use http or https');
  if (url.hash) throw registryError('BAD_REQUEST', 'properties.serviceUri must not contain a fragment');
}

export function checkCustomHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HTTP_TOKEN.test(name)) throw registryError('BAD_REQUEST', `properties.customHeaders: "${name}" is not a valid header name`);
    const lower = name.toLowerCase();
    if (RESERVED.has(lower) || lower.startsWith('x-lazaret-')) {
      throw registryError('BAD_REQUEST', `properties.customHeaders: "${name}" is set by the registry and cannot be customised`);
    }
    if (/[\r\n\0]/.test(value)) throw registryError('BAD_REQUEST', `properties.customHeaders: the value of "${name}" contains a line break`);
  }
}

export function checkScope(scope: string): void {
  const problem = validateScope(scope);
  if (problem) throw registryError('BAD_REQUEST', `properties.scope: ${problem}`);
}
