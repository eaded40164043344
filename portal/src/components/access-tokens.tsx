/** Repository-scoped tokens and scope maps (Owner only). */
import { useState } from 'preact/hooks';
import { createToken, deleteScopeMap, deleteToken, listScopeMaps, listTokens, putScopeMap, updateToken, type RegistryToken, type ScopeMap } from '../api/access.ts';
import { useAsync } from '../use-async.ts';
import { ConfirmDialog } from './confirm.tsx';
import { ErrorBox } from './status.tsx';
import { AsyncView } from './async-view.tsx';
import { DataTable, type Column } from './data-table.tsx';
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

  const tokenColumns: Column<RegistryToken>[] = [
    { header: 'Token', cell: (t) => t.name },
    { header: 'Scope map', cell: (t) => t.scopeMap },
    { header: 'Status', cell: (t) => <span class={`badge ${t.status === 'enabled' ? 'badge-on' : 'badge-off'}`}>{t.status}</span> },
    { header: 'Passwords', narrow: true, cell: (t) => t.passwords.map((p) => `${p.name}${p.expiry ? ` (expires ${when(p.expiry)})` : ''}`).join(', ') || 'none' },
    {
      header: 'Actions',
      cell: (t) => (
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
      ),
    },
  ];

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
      <AsyncView state={tokens} what="list tokens" loading="Loading tokens…" empty="No tokens.">
        {(rows) => <DataTable caption="Tokens" columns={tokenColumns} rows={rows} rowKey={(t) => t.name} />}
      </AsyncView>
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
  const scopeMapColumns: Column<ScopeMap>[] = [
    {
      header: 'Name',
      cell: (m) => (
        <>
          {m.name}
          {m.type === 'SystemDefined' && <div class="muted small">system</div>}
        </>
      ),
    },
    { header: 'Actions', cellClass: 'mono small break', cell: (m) => m.actions.join('\n') },
    { header: 'Description', narrow: true, cell: (m) => m.description },
    {
      header: 'Delete',
      hideHeader: true,
      cell: (m) =>
        m.type === 'UserDefined' && (
          <button type="button" class="danger" onClick={() => setConfirm(m.name)} aria-label={`Delete scope map ${m.name}`}>
            Delete
          </button>
        ),
    },
  ];

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
      <AsyncView state={maps} what="list scope maps" loading="Loading scope maps…" empty="No scope maps.">
        {(rows) => <DataTable caption="Scope maps" columns={scopeMapColumns} rows={rows} rowKey={(m) => m.name} />}
      </AsyncView>
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
