/**
 * Create / edit form of a webhook. serviceUri, custom headers and the secret are write-only on
 * the API; when editing, the current URI and headers are fetched with getCallbackConfig, and
 * an empty secret field keeps the stored secret.
 */
import { useState } from 'preact/hooks';
import { WEBHOOK_ACTIONS, formatHeaderLines, parseHeaderLines, type WebhookAction, type WebhookProperties } from '../api/webhooks.ts';
import { ErrorBox } from './status.tsx';

export interface WebhookFormValues {
  name: string;
  serviceUri: string;
  actions: WebhookAction[];
  scope: string;
  status: 'enabled' | 'disabled';
  headers: Record<string, string>;
  hasSecret: boolean;
}

export function WebhookForm({
  initial,
  editing,
  onSubmit,
  onCancel,
}: {
  initial: WebhookFormValues;
  editing: boolean;
  onSubmit: (name: string, properties: WebhookProperties & { serviceUri: string; actions: WebhookAction[] }) => Promise<void>;
  onCancel: () => void;
}) {
  const [name, setName] = useState(initial.name);
  const [serviceUri, setServiceUri] = useState(initial.serviceUri);
  const [actions, setActions] = useState<WebhookAction[]>(initial.actions);
  const [scope, setScope] = useState(initial.scope);
  const [status, setStatus] = useState(initial.status);
  const [headers, setHeaders] = useState(formatHeaderLines(initial.headers));
  const [secret, setSecret] = useState('');
  const [removeSecret, setRemoveSecret] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (actions.length === 0) {
      setError(new Error('Choose at least one action.'));
      return;
    }
    setBusy(true);
    try {
      const properties: WebhookProperties & { serviceUri: string; actions: WebhookAction[] } = {
        serviceUri,
        actions,
        scope,
        status,
        customHeaders: parseHeaderLines(headers),
      };
      if (secret) properties.secret = secret;
      else if (removeSecret) properties.secret = null;
      await onSubmit(name, properties);
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };

  const input = (set: (v: string) => void) => (e: Event) => set((e.currentTarget as HTMLInputElement).value);
  return (
    <form class="card webhook-form" onSubmit={submit} aria-label={editing ? 'Edit webhook' : 'New webhook'}>
      {!editing && (
        <div class="field">
          <label for="wh-name">Name</label>
          <input id="wh-name" value={name} onInput={input(setName)} required pattern="[a-zA-Z0-9]{5,50}" aria-describedby="wh-name-help" />
          <span id="wh-name-help" class="muted small">
            5 to 50 letters and digits.
          </span>
        </div>
      )}
      <label class="field">
        Service URI
        <input type="url" value={serviceUri} onInput={input(setServiceUri)} required placeholder="https://scanner.example/hook" />
      </label>
      <fieldset class="field">
        <legend>Actions</legend>
        {WEBHOOK_ACTIONS.map((a) => (
          <label key={a} class="check">
            <input
              type="checkbox"
              checked={actions.includes(a)}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                setActions((cur) => (on ? [...cur, a] : cur.filter((x) => x !== a)));
              }}
            />
            {a}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="wh-scope">Scope</label>
        <input id="wh-scope" value={scope} onInput={input(setScope)} placeholder="empty: every repository; e.g. team-a/*:*" aria-describedby="wh-scope-help" />
        <span id="wh-scope-help" class="muted small">
          ACR scope: <code>repository:tag</code>, wildcards allowed; empty means all.
        </span>
      </div>
      <label class="field">
        Status
        <select value={status} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value as 'enabled' | 'disabled')}>
          <option value="enabled">enabled</option>
          <option value="disabled">disabled</option>
        </select>
      </label>
      <label class="field">
        Custom headers (one “Name: value” per line)
        <textarea rows={3} value={headers} onInput={input(setHeaders)} />
      </label>
      <label class="field">
        Signing secret {initial.hasSecret ? '(leave empty to keep the current one)' : '(optional, 16+ characters)'}
        <input type="password" autoComplete="new-password" value={secret} minLength={16} onInput={input(setSecret)} />
      </label>
      {editing && initial.hasSecret && (
        <label class="check">
          <input type="checkbox" checked={removeSecret} onChange={(e) => setRemoveSecret((e.currentTarget as HTMLInputElement).checked)} />
          Remove the signing secret
        </label>
      )}
      {error && <ErrorBox error={error} what={editing ? 'save the webhook' : 'create the webhook'} />}
      <div class="actions">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {busy ? 'Saving…' : editing ? 'Save' : 'Create webhook'}
        </button>
      </div>
    </form>
  );
}
