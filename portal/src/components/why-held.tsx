/**
 * "Why held": the policy that governs the image and each rule's outcome (pass, fail, or hold
 * when it cannot be decided yet). Shown only when the registry answers: for an identity that
 * may not see held metadata it answers 404, and this shows nothing.
 */
import { whyHeld } from '../api/release-policies.ts';
import { useAsync } from '../use-async.ts';
import { ago, when } from '../format.ts';

export function WhyHeld({ name, digest }: { name: string; digest: string }) {
  const why = useAsync(() => whyHeld(name, digest), [name, digest]);
  const w = why.data;
  if (!w?.governedBy) return null;
  if (w.governedBy.kind === 'registry-wide') return null;
  const e = w.evaluation;
  return (
    <div class="why-held">
      <h2>
        Release policy {w.governedBy.name} <span class="muted">v{w.governedBy.version}, pattern {w.governedBy.pattern}</span>
      </h2>
      {!e && <p>Not evaluated yet: it is held until it is.</p>}
      {e?.violatingSince && (
        <p class="warning" role="status">
          Violates its policy since {ago(e.violatingSince)}
          {e.requarantineAt ? `; it goes back on hold ${when(e.requarantineAt)}` : '; it stays released (the policy notifies)'}.
        </p>
      )}
      {e && (
        <ul class="rules">
          {e.rules.map((r) => (
            <li key={r.rule}>
              <span class={`badge ${r.passed ? 'badge-passed' : r.pending ? 'badge-quarantined' : 'badge-failed'}`}>{r.passed ? 'pass' : r.pending ? 'hold' : 'fail'}</span> <strong>{r.rule}</strong>{' '}
              <span class="muted">({r.kind})</span>: {r.reason}
            </li>
          ))}
        </ul>
      )}
      {e && <p class="hint" title={when(e.evaluatedAt)}>Evaluated {ago(e.evaluatedAt)} (version {e.version}).</p>}
    </div>
  );
}
