/**
 * Repository names contain slashes (`team/app/web`), which a router cannot tell from path
 * separators. Before routing, the name part of /v2, /acr/v1 and /api/v1/repositories paths is
 * re-encoded as ONE segment (`/` -> `%2F`); the router then decodes it back into the `name`
 * param. A name the Azure SDK already sent as `team%2Fapp` passes through unchanged, so both
 * spellings reach the same route. The LAST resource marker wins, so a repository may itself be called `x/blobs`.
 */
const V2 = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\/(.*)$/;
const ACR_SUB = /^\/acr\/v1\/(.+)\/(_tags|_manifests)(\/.*)?$/;
const ACR_REPO = /^\/acr\/v1\/(.+)$/;
/** The management API's per-manifest routes (an image's history). */
const API_MANIFEST = /^\/api\/v1\/repositories\/(.+)\/manifests\/([^/]+)\/(history)$/;

const encodeName = (name: string) => name.replaceAll('/', '%2F');

export function rewriteRepositoryPath(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  let m: RegExpExecArray | null;
  if ((m = V2.exec(path))) return `/v2/${encodeName(m[1]!)}/${m[2]}/${m[3]}${query}`;
  if (path === '/acr/v1/_catalog') return url;
  if ((m = ACR_SUB.exec(path))) return `/acr/v1/${encodeName(m[1]!)}/${m[2]}${m[3] ?? ''}${query}`;
  if ((m = ACR_REPO.exec(path))) return `/acr/v1/${encodeName(m[1]!)}${query}`;
  if ((m = API_MANIFEST.exec(path))) return `/api/v1/repositories/${encodeName(m[1]!)}/manifests/${m[2]}/${m[3]}${query}`;
  return url;
}
