/** Repository-scoped tokens and scope maps (Owner only). */
import { useState } from 'preact/hooks';
import { createToken, deleteScopeMap, deleteToken, listScopeMaps, listTokens, putScopeMap, updateToken } from '../api/access.ts';
import { useAsync } from '../use-async.ts';
import { ConfirmDialog } from './confirm.tsx';
import { Empty, ErrorBox, Loading } from './status.tsx';
import { OneTimeSecret } from './one-time-secret.tsx';
import { when } from '../format.ts';

export function TokensSection({ version, onChanged }: { version: number; onChanged: () => void }) {
  const tokens = useAsync(() => listTokens(), [version]);
  const maps = useAsync(() => listScopeMaps(), [version]);
  const [name, setName] = useState('');
  const [scopeMap, setScopeMap] = useState('_repositories_pull');
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);

  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <>
      <h2>Tokens</h2>
      <p class="muted">A token is a non-person identity limited by a scope map, for CI systems and scanners. It signs in with its name and a generated password.</p>
      {secret && <OneTimeSecret label={secret.label} value={secret.value} onDismiss={() => setSecret(null)} />}
      {error && <ErrorBox error={error} what="change tokens" />}
      <form
        class="toolbar"
        aria-label="New token"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const t = await createToken(name, scopeMap);
            const pw = t.credentials.passwords[0];
            if (pw) setSecret({ label: `Password of token ${t.name} (${pw.name})`, value: pw.value });
            setName('');
          });
        }}
      >
        <label class="field inline">
          Token name
          <input value={name} required maxLength={64} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field inline">
          Scope map
          <select value={scopeMap} onChange={(e) => setScopeMap((e.currentTarget as HTMLSelectElement).value)}>
            {(maps.data ?? [{ name: '_repositories_pull' }]).map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create token
        </button>
      </form>
      {tokens.loading && !tokens.data && <Loading label="Loading tokens…" />}
      {tokens.error && <ErrorBox error={tokens.error} what="list tokens" retry={tokens.reload} />}
      {tokens.data &&
        (tokens.data.length === 0 ? (
          <Empty>No tokens.</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Token</th>
                  <th scope="col">Scope map</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="hide-narrow">Passwords</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {tokens.data.map((t) => (
                  <tr key={t.name}>
                    <th scope="row">{t.name}</th>
                    <td>{t.scopeMap}</td>
                    <td>
                      <span class={`badge ${t.status === 'enabled' ? 'badge-on' : 'badge-off'}`}>{t.status}</span>
                    </td>
                    <td class="hide-narrow">
                      {t.passwords.map((p) => `${p.name}${p.expiry ? ` (expires ${when(p.expiry)})` : ''}`).join(', ') || 'none'}
                    </td>
                    <td>
                      <div class="verdict-actions">
                        <button
                          type="button"
                          onClick={() => run(() => updateToken(t.name, { status: t.status === 'enabled' ? 'disabled' : 'enabled' }))}
                          aria-label={`${t.status === 'enabled' ? 'Disable' : 'Enable'} token ${t.name}`}
                        >
                          {t.status === 'enabled' ? 'Disable' : 'Enable'}
                        </button>
                        <button type="button" class="danger" onClick={() => setConfirm(t.name)} aria-label={`Delete token ${t.name}`}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      {confirm && (
        <ConfirmDialog
          title={`Delete token ${confirm}?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await deleteToken(confirm);
            onChanged();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>Anything signing in with it stops working at once.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function ScopeMapsSection({ version, onChanged }: { version: number; onChanged: () => void }) {
  const maps = useAsync(() => listScopeMaps(), [version]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [actions, setActions] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  return (
    <>
      <h2>Scope maps</h2>
      {error && <ErrorBox error={error} what="save the scope map" />}
      <form
        class="card webhook-form"
        aria-label="New scope map"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            await putScopeMap(
              name,
              description,
              actions
                .split('\n')
                .map((a) => a.trim())
                .filter(Boolean),
            );
            setName('');
            setDescription('');
            setActions('');
            onChanged();
          } catch (err) {
            setError(err as Error);
          }
        }}
      >
        <label class="field">
          Scope map name
          <input value={name} required pattern="[a-zA-Z0-9][a-zA-Z0-9_-]{4,49}" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          Description
          <input value={description} maxLength={256} onInput={(e) => setDescription((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          Actions, one per line (e.g. repositories/team-a/*/content/read)
          <textarea rows={3} required value={actions} onInput={(e) => setActions((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Save scope map
          </button>
        </div>
      </form>
      {maps.loading && !maps.data && <Loading label="Loading scope maps…" />}
      {maps.error && <ErrorBox error={maps.error} what="list scope maps" retry={maps.reload} />}
      {maps.data &&
        (maps.data.length === 0 ? (
          <Empty>No scope maps.</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Scope maps</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Actions</th>
                  <th scope="col" class="hide-narrow">Description</th>
                  <th scope="col">
                    <span class="sr-only">Delete</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {maps.data.map((m) => (
                  <tr key={m.name}>
                    <th scope="row">
                      {m.name}
                      {m.type === 'SystemDefined' && <div class="muted small">system</div>}
                    </th>
                    <td class="mono small break">{m.actions.join('\n')}</td>
                    <td class="hide-narrow">{m.description}</td>
                    <td>
                      {m.type === 'UserDefined' && (
                        <button type="button" class="danger" onClick={() => setConfirm(m.name)} aria-label={`Delete scope map ${m.name}`}>
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      {confirm && (
        <ConfirmDialog
          title={`Delete scope map ${confirm}?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await deleteScopeMap(confirm);
            onChanged();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>A scope map used by a token cannot be deleted; the registry will say which tokens use it.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
