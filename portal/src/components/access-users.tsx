/** Users and role assignments (Owner only). */
import { useState } from 'preact/hooks';
import { assignRole, createUser, deleteUser, listRoles, listUsers, removeRole, resetPassword, type RoleName, type User } from '../api/access.ts';
import { useAsync } from '../use-async.ts';
import { ConfirmDialog } from './confirm.tsx';
import { ErrorBox } from './status.tsx';
import { AsyncView } from './async-view.tsx';
import { DataTable, type Column } from './data-table.tsx';
import { OneTimeSecret } from './one-time-secret.tsx';
import { ago } from '../format.ts';

export function UsersSection({ version, onChanged }: { version: number; onChanged: () => void }) {
  const users = useAsync(() => listUsers(), [version]);
  const roles = useAsync(() => listRoles(), []);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const [confirm, setConfirm] = useState<{ title: string; body: string; run: () => Promise<unknown> } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const roleNames = roles.data?.map((r) => r.name) ?? [];

  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError(e as Error);
    }
  };

  const columns: Column<User>[] = [
    { header: 'User', cell: (u) => u.name },
    {
      header: 'Roles',
      cell: (u) => (
        <RolesCell
          user={u}
          roles={roleNames}
          onAssign={(role, repository) => run(() => assignRole(u.name, role, repository))}
          onRemove={(role, repository) =>
            setConfirm({ title: `Remove ${role}${repository ? ` on ${repository}` : ''} from ${u.name}?`, body: 'The change applies to new tokens at once.', run: () => removeRole(u.name, role, repository) })
          }
        />
      ),
    },
    { header: 'Created', narrow: true, cell: (u) => ago(u.createdAt) },
    {
      header: 'Actions',
      cell: (u) => (
        <div class="verdict-actions">
          <button
            type="button"
            onClick={() =>
              run(async () => {
                const r = await resetPassword(u.name);
                if (r.password) setSecret({ label: `New password of ${u.name}`, value: r.password });
              })
            }
            aria-label={`Reset password of ${u.name}`}
          >
            Reset password
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => setConfirm({ title: `Delete user ${u.name}?`, body: 'Their role assignments go too. This cannot be undone.', run: () => deleteUser(u.name) })}
            aria-label={`Delete ${u.name}`}
          >
            Delete
          </button>
        </div>
      ),
    },
  ];

  return (
    <>
      <div class="title-row">
        <h2>Users and roles</h2>
        {!creating && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            New user
          </button>
        )}
      </div>
      {secret && <OneTimeSecret label={secret.label} value={secret.value} onDismiss={() => setSecret(null)} />}
      {error && <ErrorBox error={error} what="change access" />}
      {creating && (
        <NewUserForm
          roles={roleNames}
          onCancel={() => setCreating(false)}
          onCreated={(name, password) => {
            setCreating(false);
            if (password) setSecret({ label: `Password of ${name}`, value: password });
            onChanged();
          }}
        />
      )}
      <AsyncView state={users} what="list users" loading="Loading users…" empty="No users.">
        {(rows) => <DataTable caption="Users" columns={columns} rows={rows} rowKey={(u) => u.name} />}
      </AsyncView>
      {confirm && (
        <ConfirmDialog
          title={confirm.title}
          confirmLabel="Confirm"
          danger
          onConfirm={async () => {
            await confirm.run();
            onChanged();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>{confirm.body}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** A user's role assignments, each removable, and the form that adds one (its own state per row). */
function RolesCell({
  user: u,
  roles,
  onAssign,
  onRemove,
}: {
  user: User;
  roles: RoleName[];
  onAssign: (role: RoleName, repository?: string) => void;
  onRemove: (role: RoleName, repository?: string) => void;
}) {
  const [role, setRole] = useState('');
  const [repository, setRepository] = useState('');
  return (
    <>
      <ul class="chips">
        {u.roles.map((r) => (
          <li key={`${r.role}@${r.repository ?? ''}`}>
            <span class="badge badge-none">
              {r.role}
              {r.repository ? ` on ${r.repository}` : ''}
            </span>{' '}
            <button type="button" class="link" aria-label={`Remove ${r.role}${r.repository ? ` on ${r.repository}` : ''} from ${u.name}`} onClick={() => onRemove(r.role, r.repository)}>
              remove
            </button>
          </li>
        ))}
      </ul>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          // The select offers the registry's role names only: find it among them (typed, no cast).
          const picked = roles.find((r) => r === role);
          if (picked) onAssign(picked, repository.trim() || undefined);
          setRole('');
          setRepository('');
        }}
      >
        <label class="sr-only" for={`role-${u.name}`}>
          Role for {u.name}
        </label>
        <select id={`role-${u.name}`} value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">Add a role…</option>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label class="sr-only" for={`repo-${u.name}`}>
          Repository pattern for {u.name} (empty: registry-wide)
        </label>
        <input id={`repo-${u.name}`} value={repository} placeholder="all, or team-a/*" onInput={(e) => setRepository((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" disabled={!role}>
          Add
        </button>
      </form>
    </>
  );
}

function NewUserForm({ roles, onCancel, onCreated }: { roles: RoleName[]; onCancel: () => void; onCreated: (name: string, password?: string) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('AcrPull');
  const [repository, setRepository] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card webhook-form"
      aria-label="New user"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          const picked = roles.find((x) => x === role);
          const r = await createUser(name, password || undefined, picked ? [{ role: picked, ...(repository.trim() ? { repository: repository.trim() } : {}) }] : []);
          onCreated(name, r.password);
        } catch (err) {
          setError(err as Error);
          setBusy(false);
        }
      }}
    >
      <label class="field">
        User name
        <input value={name} required maxLength={64} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label class="field">
        Password (empty: the registry generates one and shows it once)
        <input type="password" autoComplete="new-password" minLength={8} value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <label class="field">
        Role
        <select value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">none</option>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        On repositories (empty: registry-wide; e.g. team-a/*)
        <input value={repository} onInput={(e) => setRepository((e.currentTarget as HTMLInputElement).value)} />
      </label>
      {error && <ErrorBox error={error} what="create the user" />}
      <div class="actions">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          Create user
        </button>
      </div>
    </form>
  );
}
