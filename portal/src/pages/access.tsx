/**
 * Access (Owner only): users and their role assignments, repository-scoped tokens and scope
 * maps. Generated passwords are shown once, right after they are made, and kept nowhere.
 */
import { useState } from 'preact/hooks';
import { whoami } from '../api/access.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading } from '../components/status.tsx';
import { UsersSection } from '../components/access-users.tsx';
import { TokensSection, ScopeMapsSection } from '../components/access-tokens.tsx';

export function Access() {
  const me = useAsync(() => whoami(), []);
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);
  if (me.loading && !me.data) return <Loading />;
  if (me.error) return <ErrorBox error={me.error} what="find out who you are" retry={me.reload} />;
  const isAdmin = me.data?.registry.includes('admin');
  return (
    <section>
      <h1>Access</h1>
      <p>
        Signed in as <strong>{me.data?.name}</strong> ({me.data?.kind}){' '}
        {me.data?.roles.length ? (
          <>
            with roles{' '}
            {me.data.roles.map((r, i) => (
              <span key={i} class="badge badge-none chip">
                {r.role}
                {r.repository ? ` on ${r.repository}` : ''}
              </span>
            ))}
          </>
        ) : null}
      </p>
      {!isAdmin ? (
        <p class="notice">Users, roles, tokens and scope maps are managed by registry owners.</p>
      ) : (
        <>
          <UsersSection version={version} onChanged={bump} />
          <TokensSection version={version} onChanged={bump} />
          <ScopeMapsSection version={version} onChanged={bump} />
        </>
      )}
    </section>
  );
}
