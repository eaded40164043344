/**
 * One webhook: its settings (edit, enable/disable, delete), ping, and the delivery log with
 * every attempt's request and response, and redelivery.
 */
import { useState } from 'preact/hooks';
import {
  deleteWebhook,
  getCallbackConfig,
  getWebhook,
  listDeliveries,
  pingWebhook,
  redeliver,
  updateWebhook,
  type Attempt,
  type Delivery,
  type HttpMessage,
} from '../api/webhooks.ts';
import { href, navigate } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { ConfirmDialog } from '../components/confirm.tsx';
import { ErrorBox } from '../components/status.tsx';
import { AsyncView } from '../components/async-view.tsx';
import { DeliveryStatus } from '../components/delivery-status.tsx';
import { WebhookForm } from '../components/webhook-form.tsx';
import { ago, when } from '../format.ts';

export function Webhook({ name }: { name: string }) {
  const hook = useAsync(() => getWebhook(name), [name]);
  const callback = useAsync(() => getCallbackConfig(name), [name]);
  const deliveries = useAsync(() => listDeliveries(name, 25), [name]);
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);

  const act = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      await fn();
      setMessage(what);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const refreshDeliveries = () => {
    deliveries.reload();
    hook.reload();
  };

  const h = hook.data;
  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href.webhooks()}>Webhooks</a> / <span aria-current="page">{name}</span>
      </nav>
      <div class="title-row">
        <h1>{name}</h1>
        {h && (
          <div class="verdict-actions">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() =>
                act('Ping queued: it appears in the delivery log below within moments.', async () => {
                  await pingWebhook(name);
                  setTimeout(refreshDeliveries, 600);
                })
              }
            >
              Ping
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                act(h.properties.status === 'enabled' ? 'Webhook disabled.' : 'Webhook enabled.', async () => {
                  await updateWebhook(name, { status: h.properties.status === 'enabled' ? 'disabled' : 'enabled' });
                  hook.reload();
                })
              }
            >
              {h.properties.status === 'enabled' ? 'Disable' : 'Enable'}
            </button>
            <button type="button" disabled={busy || editing} onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </div>
        )}
      </div>
      {message && (
        <p role="status" class="ok">
          {message}
        </p>
      )}
      {error && <ErrorBox error={error} what="do that" />}
      <AsyncView state={hook} what={`open webhook ${name}`}>
        {(h) => (
          <>
            {!editing && (
              <dl class="kv summary">
                <dt>Status</dt>
                <dd>
                  <span class={`badge ${h.properties.status === 'enabled' ? 'badge-on' : 'badge-off'}`} data-testid="webhook-status">
                    {h.properties.status}
                  </span>
                </dd>
                <dt>Service URI</dt>
                <dd class="break mono">{callback.data?.serviceUri ?? '…'}</dd>
                <dt>Actions</dt>
                <dd>{h.properties.actions.join(', ')}</dd>
                <dt>Scope</dt>
                <dd>{h.properties.scope || 'all repositories'}</dd>
                <dt>Custom headers</dt>
                <dd>{callback.data ? Object.keys(callback.data.customHeaders).join(', ') || 'none' : '…'}</dd>
                <dt>Signing secret</dt>
                <dd>{h.properties.hasSecret ? 'set (HMAC-SHA256 signature on every delivery)' : 'none'}</dd>
                <dt>Deliveries</dt>
                <dd>
                  {h.properties.deliveries.delivered} delivered, {h.properties.deliveries.pending} pending, {h.properties.deliveries.failed} failed
                </dd>
              </dl>
            )}
            {editing && callback.data && (
              <WebhookForm
                editing
                initial={{
                  name,
                  serviceUri: callback.data.serviceUri,
                  actions: h.properties.actions,
                  scope: h.properties.scope,
                  status: h.properties.status,
                  headers: callback.data.customHeaders,
                  hasSecret: h.properties.hasSecret,
                }}
                onCancel={() => setEditing(false)}
                onSubmit={async (_n, properties) => {
                  await updateWebhook(name, properties);
                  setEditing(false);
                  setMessage('Webhook saved.');
                  hook.reload();
                  callback.reload();
                }}
              />
            )}
          </>
        )}
      </AsyncView>
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete webhook ${name}?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await deleteWebhook(name);
            navigate(href.webhooks());
          }}
          onClose={() => setConfirmDelete(false)}
        >
          <p>Pending deliveries stop at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}

      <div class="title-row">
        <h2>Delivery log</h2>
        <button type="button" onClick={refreshDeliveries}>
          Refresh log
        </button>
      </div>
      <AsyncView
        state={deliveries}
        what="read the delivery log"
        loading="Loading deliveries…"
        empty="No deliveries yet. Ping the webhook to send a test event."
      >
        {(rows) => (
          <ul class="deliveries">
            {rows.map((d) => (
              <DeliveryItem
                key={d.id}
                delivery={d}
                onRedeliver={() =>
                  act(`Event ${d.id} queued for redelivery.`, async () => {
                    await redeliver(name, d.id);
                    setTimeout(refreshDeliveries, 600);
                  })
                }
                busy={busy}
              />
            ))}
          </ul>
        )}
      </AsyncView>
    </section>
  );
}

function DeliveryItem({ delivery: d, onRedeliver, busy }: { delivery: Delivery; onRedeliver: () => void; busy: boolean }) {
  const response = d.eventResponseMessage;
  return (
    <li class="card delivery" data-testid="delivery">
      <div class="title-row">
        <p>
          <strong>{d.action}</strong> <DeliveryStatus status={d.status} />
          {response?.statusCode && <span> · HTTP {response.statusCode}</span>} · {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
          {d.duration !== undefined && ` · ${d.duration} ms`} · <span title={when(d.createdTime)}>{ago(d.createdTime)}</span>
          {d.nextAttemptTime && <span class="muted"> · next attempt {when(d.nextAttemptTime)}</span>}
        </p>
        <button type="button" onClick={onRedeliver} disabled={busy} aria-label={`Redeliver event ${d.id}`}>
          Redeliver
        </button>
      </div>
      <p class="mono muted small break">event {d.id}</p>
      <details class="attempt">
        <summary>Payload</summary>
        <Message message={d.eventRequestMessage} kind="request" />
      </details>
      {d.attemptLog.map((a) => (
        <AttemptView key={a.attempt} attempt={a} />
      ))}
    </li>
  );
}

function AttemptView({ attempt: a }: { attempt: Attempt }) {
  const status = a.eventResponseMessage?.statusCode;
  return (
    <details class="attempt">
      <summary>
        Attempt {a.attempt}: {status ? `HTTP ${status} ${a.eventResponseMessage?.reasonPhrase ?? ''}` : (a.error ?? 'no response')} · {a.duration} ms · {when(a.timestamp)}
      </summary>
      <h3 class="small">Request</h3>
      <Message message={a.eventRequestMessage} kind="request" />
      <h3 class="small">Response</h3>
      {a.eventResponseMessage ? <Message message={a.eventResponseMessage} kind="response" /> : <p class="bad">{a.error ?? 'No response.'}</p>}
    </details>
  );
}

function Message({ message, kind }: { message: HttpMessage; kind: 'request' | 'response' }) {
  const first = kind === 'request' ? `${message.method ?? 'POST'} ${message.requestUri ?? ''}` : `HTTP ${message.statusCode ?? ''} ${message.reasonPhrase ?? ''}`;
  const headers = Object.entries(message.headers ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const body = message.content === undefined ? '' : typeof message.content === 'string' ? message.content : JSON.stringify(message.content, null, 2);
  return <pre class="code">{`${first}\n${headers}${body ? `\n\n${body}` : ''}`}</pre>;
}
