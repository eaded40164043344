/**
 * Image references for `scanner db push|pull`: `[http(s)://]host[:port]/repository[:tag|@digest]`.
 * Without a scheme, loopback hosts (localhost, 127.0.0.1, [::1]) use http and every other
 * host https; `plainHttp` forces http. The tag defaults to `latest`.
 */
import { isValidRepositoryName, isValidTag } from '../../../oci/index.ts';
import { isDigest } from '../../../oci/index.ts';

export interface BundleReference {
  /** e.g. `http://127.0.0.1:5000` */
  registry: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
}

export function parseBundleReference(input: string, options: { plainHttp?: boolean } = {}): BundleReference {
  let rest = input.trim();
  let scheme: string | undefined;
  const m = /^(https?):\/\//.exec(rest);
  if (m) {
    scheme = m[1];
    rest = rest.slice(m[0].length);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new Error(`${JSON.stringify(input)}: expected HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]`);
  const host = rest.slice(0, slash);
  let path = rest.slice(slash + 1);
  let reference = 'latest';
  const at = path.indexOf('@');
  if (at >= 0) {
    reference = path.slice(at + 1);
    path = path.slice(0, at);
    if (!isDigest(reference)) throw new Error(`${JSON.stringify(input)}: ${JSON.stringify(reference)} is not a digest`);
  } else {
    const colon = path.lastIndexOf(':');
    if (colon >= 0) {
      reference = path.slice(colon + 1);
      path = path.slice(0, colon);
      if (!isValidTag(reference)) throw new Error(`${JSON.stringify(input)}: ${JSON.stringify(reference)} is not a valid tag`);
    }
  }
  if (!isValidRepositoryName(path)) throw new Error(`${JSON.stringify(input)}: ${JSON.stringify(path)} is not a valid repository name`);
  const hostname = host.replace(/:\d+$/, '');
  const loopback = hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  const chosen = options.plainHttp ? 'http' : (scheme ?? (loopback ? 'http' : 'https'));
  return { registry: `${chosen}://${host}`, repository: path, reference };
}
