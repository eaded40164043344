/**
 * The shell: skip link, header with navigation and the signed-in identity, and the page for
 * the current route. The page tree is keyed by the session generation, so signing out or in
 * as someone else throws away every component and everything it had loaded.
 */
import { useEffect, useState } from 'preact/hooks';
import { currentCredentials, currentGeneration, endSession, isAuthOff, isSignedIn, onSessionChange } from './api/session.ts';
import { BASE, href, parseRoute, useLocation, type Route } from './router.ts';
import { SignIn } from './pages/sign-in.tsx';
import { Overview } from './pages/overview.tsx';
import { Repositories } from './pages/repositories.tsx';
import { Repository } from './pages/repository.tsx';
import { Manifest } from './pages/manifest.tsx';
import { Quarantine } from './pages/quarantine.tsx';
import { Webhooks } from './pages/webhooks.tsx';
import { Webhook } from './pages/webhook.tsx';
import { Access } from './pages/access.tsx';
import { Scanners } from './pages/scanners.tsx';
import { Policies } from './pages/policies.tsx';
import { Storage } from './pages/storage.tsx';
import { whoami } from './api/access.ts';

const NAV: { label: string; to: string; match: Route['page'][]; adminOnly?: boolean }[] = [
  { label: 'Overview', to: href.overview(), match: ['overview'] },
  { label: 'Repositories', to: href.repositories(), match: ['repositories', 'repository', 'manifest'] },
  { label: 'Quarantine', to: href.quarantine(), match: ['quarantine'] },
  { label: 'Policies', to: href.policies(), match: ['policies'] },
  { label: 'Webhooks', to: href.webhooks(), match: ['webhooks', 'webhook'] },
  { label: 'Scanners', to: href.scanners(), match: ['scanners'], adminOnly: true },
  { label: 'Storage', to: href.storage(), match: ['storage'], adminOnly: true },
  { label: 'Access', to: href.access(), match: ['access'], adminOnly: true },
];

const TITLES: Record<Route['page'], string> = {
  overview: 'Overview',
  repositories: 'Repositories',
  repository: 'Repository',
  manifest: 'Manifest',
  quarantine: 'Quarantine queue',
  webhooks: 'Webhooks',
  webhook: 'Webhook',
  access: 'Access',
  scanners: 'Scanners',
  policies: 'Release policies',
  storage: 'Storage',
  'not-found': 'Not found',
};

function useSession() {
  const [, setTick] = useState(0);
  useEffect(() => onSessionChange(() => setTick((t) => t + 1)), []);
  return { signedIn: isSignedIn(), generation: currentGeneration(), user: currentCredentials()?.username ?? null };
}

/** Whether the signed-in identity administers the registry (shows the Access page in the menu). */
function useIsAdmin(generation: number, signedIn: boolean): boolean {
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    setAdmin(false);
    if (!signedIn) return;
    let live = true;
    whoami().then(
      (me) => live && setAdmin(me.registry.includes('admin')),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [generation, signedIn]);
  return admin;
}

export function App() {
  const session = useSession();
  const isAdmin = useIsAdmin(session.generation, session.signedIn);
  const { pathname } = useLocation();
  const route = parseRoute(pathname);

  useEffect(() => {
    document.title = session.signedIn ? `${TITLES[route.page]} · Lazaret` : 'Sign in · Lazaret';
  }, [route.page, session.signedIn]);

  if (!session.signedIn) {
    return (
      <>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <main id="main" class="signin-main" tabIndex={-1}>
          <SignIn />
        </main>
      </>
    );
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={`${BASE}/`}>
          <img src={`${BASE}/favicon.svg`} alt="" width="24" height="24" />
          Lazaret
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.adminOnly || isAdmin || route.page === 'access').map((n) => (
              <li key={n.to}>
                <a href={n.to} aria-current={n.match.includes(route.page) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="user" title="Signed in as">
            {isAuthOff() ? 'authentication off' : session.user}
          </span>
          <button type="button" onClick={() => endSession()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} key={session.generation}>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <Overview />;
    case 'repositories':
      return <Repositories />;
    case 'repository':
      return <Repository key={route.name} name={route.name} />;
    case 'manifest':
      return <Manifest key={`${route.name}@${route.digest}`} name={route.name} digest={route.digest} />;
    case 'quarantine':
      return <Quarantine />;
    case 'webhooks':
      return <Webhooks />;
    case 'webhook':
      return <Webhook key={route.name} name={route.name} />;
    case 'access':
      return <Access />;
    case 'scanners':
      return <Scanners />;
    case 'policies':
      return <Policies />;
    case 'storage':
      return <Storage />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no portal page at <code>{route.path}</code>. <a href={href.overview()}>Go to the overview</a>.
          </p>
        </section>
      );
  }
}
