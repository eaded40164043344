/**
 * Access (Owner only): users and their role assignments, repository-scoped tokens and scope
 * maps. Generated passwords are shown once, right after they are made, and kept nowhere.
 */
import { useState } from 'preact/hooks';
import { whoami, type WhoAmI } from '../api/access.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView } from '../components/async-view.tsx';
import { UsersSection } from '../components/access-users.tsx';
import { TokensSection, ScopeMapsSection } from '../components/access-tokens.tsx';

export function Access() {
  const me = useAsync(() => whoami(), []);
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);
  return (
    <AsyncView state={me} what="find out who you are">
      {(data) => <AccessFor me={data} version={version} onChanged={bump} />}
    </AsyncView>
  );
}

function AccessFor({ me, version, onChanged }: { me: WhoAmI; version: number; onChanged: () => void }) {
  const isAdmin = me.registry.includes('admin');
  return (
    <section>
      <h1>Access</h1>
      <p>
        Signed in as <strong>{me.name}</strong> ({me.kind}){' '}
        {me.roles.length ? (
          <>
            with roles{' '}
            {me.roles.map((r, i) => (
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
          <UsersSection version={version} onChanged={onChanged} />
          <TokensSection version={version} onChanged={onChanged} />
          <ScopeMapsSection version={version} onChanged={onChanged} />
        </>
      )}
    </section>
  );
}
