/** Webhooks: the list with delivery counts, and creating one (Owner, Contributor). */
import { useState } from 'preact/hooks';
import { createWebhook, listWebhooks } from '../api/webhooks.ts';
import { isForbidden } from '../api/management.ts';
import { href, navigate } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading, Refreshing } from '../components/status.tsx';
import { WebhookForm } from '../components/webhook-form.tsx';
import { ago } from '../format.ts';

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
      <Refreshing active={hooks.loading && !!hooks.data} />
      {hooks.loading && !hooks.data && <Loading label="Loading webhooks…" />}
      {hooks.error && <ErrorBox error={hooks.error} what="list webhooks" retry={hooks.reload} />}
      {hooks.data &&
        (hooks.data.length === 0 ? (
          <Empty>No webhooks yet. A webhook tells a scanner (or anything else) about pushes, deletes and images waiting in quarantine.</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Webhooks</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                  <th scope="col" class="hide-narrow">Scope</th>
                  <th scope="col">Deliveries</th>
                  <th scope="col" class="hide-narrow">Updated</th>
                </tr>
              </thead>
              <tbody>
                {hooks.data.map((h) => (
                  <tr key={h.name}>
                    <th scope="row">
                      <a href={href.webhook(h.name)}>{h.name}</a>
                    </th>
                    <td>
                      <span class={`badge ${h.properties.status === 'enabled' ? 'badge-on' : 'badge-off'}`}>{h.properties.status}</span>
                    </td>
                    <td>{h.properties.actions.join(', ')}</td>
                    <td class="hide-narrow">{h.properties.scope || <span class="muted">all repositories</span>}</td>
                    <td>
                      <span class="ok">{h.properties.deliveries.delivered}</span> delivered, {h.properties.deliveries.pending} pending,{' '}
                      <span class={h.properties.deliveries.failed ? 'bad' : ''}>{h.properties.deliveries.failed}</span> failed
                    </td>
                    <td class="hide-narrow">{ago(h.properties.lastUpdateTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
