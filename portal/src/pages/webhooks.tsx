/** Webhooks: the list with delivery counts, and creating one (Owner, Contributor). */
import { useState } from 'preact/hooks';
import { createWebhook, listWebhooks, type Webhook } from '../api/webhooks.ts';
import { isForbidden } from '../api/management.ts';
import { href, navigate } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { WebhookForm } from '../components/webhook-form.tsx';
import { ago } from '../format.ts';

const COLUMNS: Column<Webhook>[] = [
  { header: 'Name', cell: (h) => <a href={href.webhook(h.name)}>{h.name}</a> },
  { header: 'Status', cell: (h) => <span class={`badge ${h.properties.status === 'enabled' ? 'badge-on' : 'badge-off'}`}>{h.properties.status}</span> },
  { header: 'Actions', cell: (h) => h.properties.actions.join(', ') },
  { header: 'Scope', narrow: true, cell: (h) => h.properties.scope || <span class="muted">all repositories</span> },
  {
    header: 'Deliveries',
    cell: (h) => (
      <>
        <span class="ok">{h.properties.deliveries.delivered}</span> delivered, {h.properties.deliveries.pending} pending,{' '}
        <span class={h.properties.deliveries.failed ? 'bad' : ''}>{h.properties.deliveries.failed}</span> failed
      </>
    ),
  },
  { header: 'Updated', narrow: true, cell: (h) => ago(h.properties.lastUpdateTime) },
];

export function Webhooks() {
  const hooks = useAsync(() => listWebhooks(), []);
  const [creating, setCreating] = useState(false);

  if (hooks.error && isForbidden(hooks.error)) {
    return (
      <section>
        <h1>Webhooks</h1>
        <p class="notice">Webhooks are managed by registry owners and contributors; the signed-in identity may not see them.</p>
      </section>
    );
  }
  return (
    <section>
      <div class="title-row">
        <h1>Webhooks</h1>
        <div class="verdict-actions">
          <button type="button" onClick={hooks.reload}>
            Refresh
          </button>
          {!creating && (
            <button type="button" class="primary" onClick={() => setCreating(true)}>
              New webhook
            </button>
          )}
        </div>
      </div>
      {creating && (
        <WebhookForm
          editing={false}
          initial={{ name: '', serviceUri: '', actions: ['push', 'quarantine'], scope: '', status: 'enabled', headers: {}, hasSecret: false }}
          onCancel={() => setCreating(false)}
          onSubmit={async (name, properties) => {
            await createWebhook(name, properties);
            navigate(href.webhook(name));
          }}
        />
      )}
      <AsyncView
        state={hooks}
        what="list webhooks"
        loading="Loading webhooks…"
        empty="No webhooks yet. A webhook tells a scanner (or anything else) about pushes, deletes and images waiting in quarantine."
      >
        {(rows) => <DataTable caption="Webhooks" columns={COLUMNS} rows={rows} rowKey={(h) => h.name} />}
      </AsyncView>
    </section>
  );
}
