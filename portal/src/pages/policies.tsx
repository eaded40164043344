/**
 * Release policies, read-only: which repositories each governs, its rules in words, what a
 * violation of a released image does. Policies are changed with `lazaret policy apply -f FILE`
 * (reviewed as files, versioned and audited), not here.
 */
import { listReleasePolicies } from '../api/release-policies.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading } from '../components/status.tsx';
import { ago, when } from '../format.ts';

export function Policies() {
  const policies = useAsync(() => listReleasePolicies(), []);
  return (
    <section>
      <h1>Release policies</h1>
      <p class="hint">
        A repository is governed by the most specific enabled policy whose pattern matches it; repositories no policy matches follow the registry-wide quarantine switch. Change
        policies with <code>lazaret policy apply -f FILE</code>; try one first with <code>lazaret policy test -f FILE</code>.
      </p>
      {policies.loading && !policies.data && <Loading />}
      {policies.error && <ErrorBox error={policies.error} what="read the release policies" retry={policies.reload} />}
      {policies.data && policies.data.length === 0 && <Empty>No release policies yet: the registry-wide switch decides for every repository.</Empty>}
      {policies.data?.map((p) => (
        <article class="card policy" key={p.name} aria-labelledby={`policy-${p.name}`}>
          <h2 id={`policy-${p.name}`}>
            {p.name} <span class="muted">version {p.version}</span>{' '}
            <span class={`badge ${p.enabled ? 'badge-passed' : 'badge-none'}`}>{p.enabled ? 'enabled' : 'disabled'}</span>
          </h2>
          {p.description && <p>{p.description}</p>}
          <dl class="kv">
            <dt>Repositories</dt>
            <dd>{p.repositories.map((r) => <code key={r}>{r} </code>)}</dd>
            <dt>When a released image violates it</dt>
            <dd>{p.onViolation === 'requarantine' ? `held again after ${p.gracePeriod}` : 'flagged and announced; it stays released'}</dd>
            <dt>Exceptions</dt>
            <dd>{p.exceptions.requireApproval ? 'need a second person’s approval' : 'count once created'}</dd>
            <dt>Changed</dt>
            <dd title={when(p.updatedAt)}>
              {ago(p.updatedAt)} by {p.updatedBy}
            </dd>
          </dl>
          <h3>Rules</h3>
          <ul class="rules">
            {p.rules.map((r) => (
              <li key={r.name}>
                <strong>{r.name}</strong> <span class="muted">({r.kind})</span>: {r.text}
              </li>
            ))}
          </ul>
        </article>
      ))}
    </section>
  );
}
