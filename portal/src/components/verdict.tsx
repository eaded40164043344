/** Verdict badges and the human rendering of ACR's quarantineDetails. */

const LABELS: Record<string, string> = {
  Quarantined: 'held',
  Passed: 'passed',
  Failed: 'failed',
  none: 'no verdict',
};

export function VerdictBadge({ state, policyOn }: { state: string; policyOn?: boolean }) {
  const key = state in LABELS ? state : 'other';
  // With the policy on, a manifest without a verdict is held as well (docs/quarantine.md "held").
  const label = state === 'none' && policyOn ? 'no verdict (held)' : (LABELS[state] ?? state);
  return (
    <span class={`badge badge-${key.toLowerCase()}`} title={`quarantineState: ${state === 'none' ? 'absent' : state}`}>
      {label}
    </span>
  );
}

export interface QuarantineDetails {
  scanner?: string;
  state?: string;
  link?: string;
  result?: { version?: string; summary?: { severity?: string; count?: number }[]; description?: string };
}

export function parseDetails(raw: string | undefined | null): { details: QuarantineDetails | null; invalid: boolean } {
  if (!raw) return { details: null, invalid: false };
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return { details: v as QuarantineDetails, invalid: false };
  } catch {
    /* fallthrough */
  }
  return { details: null, invalid: true };
}

const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'None'];

export function SeverityBar({ summary }: { summary: { severity?: string; count?: number }[] }) {
  const counts = SEVERITIES.map((s) => ({
    severity: s,
    count: summary.filter((x) => x.severity === s).reduce((a, x) => a + (Number(x.count) || 0), 0),
  }));
  const total = counts.reduce((a, c) => a + c.count, 0);
  const label = counts.filter((c) => c.count > 0).map((c) => `${c.count} ${c.severity}`).join(', ') || 'no findings';
  const width = 300;
  let x = 0;
  return (
    <figure class="severity">
      <svg viewBox={`0 0 ${width} 16`} width="100%" height="16" role="img" aria-label={`Findings: ${label}`} preserveAspectRatio="none">
        <rect x="0" y="0" width={width} height="16" class="sev-empty" />
        {total > 0 &&
          counts.map((c) => {
            const w = (c.count / total) * width;
            const rect = <rect key={c.severity} x={x} y="0" width={w} height="16" class={`sev-${c.severity.toLowerCase()}`} />;
            x += w;
            return rect;
          })}
      </svg>
      <figcaption>
        {counts.map((c) => (
          <span key={c.severity} class="sev-legend">
            <span class={`sev-dot sev-${c.severity.toLowerCase()}`} aria-hidden="true" />
            {c.severity} {c.count}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Only http(s) report links become clickable; anything else is shown as text. */
function safeLink(link: string): string | null {
  try {
    const u = new URL(link);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

export function DetailsView({ raw }: { raw: string | undefined | null }) {
  const { details, invalid } = parseDetails(raw);
  if (invalid) return <pre class="code">{raw}</pre>;
  if (!details) return <p class="muted">The scanner left no details.</p>;
  const link = details.link ? safeLink(details.link) : null;
  return (
    <div class="details">
      <dl class="kv">
        <dt>Scanner</dt>
        <dd>{details.scanner ?? '—'}</dd>
        <dt>Scan state</dt>
        <dd>{details.state ?? '—'}</dd>
        {details.result?.version && (
          <>
            <dt>Result version</dt>
            <dd>{details.result.version}</dd>
          </>
        )}
        {details.link && (
          <>
            <dt>Report</dt>
            <dd>
              {link ? (
                <a href={link} target="_blank" rel="noopener noreferrer">
                  {details.link}
                </a>
              ) : (
                details.link
              )}
            </dd>
          </>
        )}
      </dl>
      {details.result?.summary && <SeverityBar summary={details.result.summary} />}
      {details.result?.description && <p>{details.result.description}</p>}
    </div>
  );
}
