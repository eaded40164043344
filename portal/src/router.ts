/**
 * A small history router for /portal/*. Routes are plain functions of the path; links are
 * ordinary <a href> elements (so they work with the keyboard, middle-click and "copy link"),
 * intercepted here for client-side navigation. The server answers index.html for any
 * /portal/* path, so reloads and deep links work.
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/portal';

export type Route =
  | { page: 'overview' }
  | { page: 'repositories' }
  | { page: 'repository'; name: string }
  | { page: 'manifest'; name: string; digest: string }
  | { page: 'quarantine' }
  | { page: 'webhooks' }
  | { page: 'webhook'; name: string }
  | { page: 'access' }
  | { page: 'scanners' }
  | { page: 'policies' }
  | { page: 'storage' }
  | { page: 'not-found'; path: string };

/** Repository names never contain a `-` path component, so `/-/` separates name from sub-page. */
export function parseRoute(pathname: string): Route {
  let path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  path = path.replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { page: 'overview' };
  const [head, ...rest] = parts;
  switch (head) {
    case 'repositories': {
      if (rest.length === 0) return { page: 'repositories' };
      const dash = rest.indexOf('-');
      if (dash === -1) return { page: 'repository', name: rest.join('/') };
      const name = rest.slice(0, dash).join('/');
      const sub = rest.slice(dash + 1);
      if (sub[0] === 'manifests' && sub[1]) return { page: 'manifest', name, digest: sub[1] };
      return { page: 'not-found', path };
    }
    case 'quarantine':
      return rest.length === 0 ? { page: 'quarantine' } : { page: 'not-found', path };
    case 'webhooks':
      if (rest.length === 0) return { page: 'webhooks' };
      if (rest.length === 1) return { page: 'webhook', name: rest[0]! };
      return { page: 'not-found', path };
    case 'access':
      return rest.length === 0 ? { page: 'access' } : { page: 'not-found', path };
    case 'scanners':
      return rest.length === 0 ? { page: 'scanners' } : { page: 'not-found', path };
    case 'policies':
      return rest.length === 0 ? { page: 'policies' } : { page: 'not-found', path };
    case 'storage':
      return rest.length === 0 ? { page: 'storage' } : { page: 'not-found', path };
  }
  return { page: 'not-found', path };
}

const encName = (name: string) => name.split('/').map(encodeURIComponent).join('/');

export const href = {
  overview: () => `${BASE}/`,
  repositories: (q?: string) => `${BASE}/repositories${q ? `?q=${encodeURIComponent(q)}` : ''}`,
  repository: (name: string) => `${BASE}/repositories/${encName(name)}`,
  manifest: (name: string, digest: string) => `${BASE}/repositories/${encName(name)}/-/manifests/${digest}`,
  quarantine: () => `${BASE}/quarantine`,
  webhooks: () => `${BASE}/webhooks`,
  webhook: (name: string) => `${BASE}/webhooks/${encodeURIComponent(name)}`,
  access: () => `${BASE}/access`,
  scanners: () => `${BASE}/scanners`,
  policies: () => `${BASE}/policies`,
  storage: () => `${BASE}/storage`,
};

const listeners = new Set<() => void>();

export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

export function installLinkInterception() {
  window.addEventListener('popstate', () => {
    for (const l of listeners) l();
  });
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(`${BASE}/`) && url.pathname !== BASE) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}
