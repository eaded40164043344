/** The audit log as a table: when, who, what, on what, from which state to which. */
import type { AuditEntry } from '../api/management.ts';
import { ago, when } from '../format.ts';
import { href } from '../router.ts';

function stateOf(v: unknown): string | null {
  if (v && typeof v === 'object' && 'quarantineState' in v) return String((v as { quarantineState: unknown }).quarantineState ?? 'none');
  return null;
}

function TargetLink({ target }: { target?: string }) {
  if (!target) return <span class="muted">—</span>;
  const at = target.indexOf('@sha256:');
  if (at > 0) {
    const name = target.slice(0, at);
    const digest = target.slice(at + 1);
    return (
      <a href={href.manifest(name, digest)} class="mono break">
        {name}@{digest.slice(0, 19)}
      </a>
    );
  }
  return <span class="break">{target}</span>;
}

function describe(e: AuditEntry): string {
  const before = stateOf(e.before);
  const after = stateOf(e.after);
  if (before !== null || after !== null) return `${before ?? 'none'} → ${after ?? 'none'}`;
  if (e.after && typeof e.after === 'object') return JSON.stringify(e.after).slice(0, 120);
  return '';
}

export function AuditTable({ entries, showTarget = false }: { entries: AuditEntry[]; showTarget?: boolean }) {
  return (
    <div class="table-wrap">
      <table class="wide">
        <caption class="sr-only">Audit entries</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            {showTarget && <th scope="col">Target</th>}
            <th scope="col">Change</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td title={when(e.at)}>{ago(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              {showTarget && (
                <td>
                  <TargetLink target={e.target} />
                </td>
              )}
              <td>{describe(e)}</td>
              <td class="break">{typeof e.details === 'string' ? e.details : e.details ? JSON.stringify(e.details) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
