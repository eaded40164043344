/**
 * The manifest page's History: the image's whole timeline from the server (pushed, scans,
 * verdicts with the policy version that decided and the exceptions used, signatures with their
 * signer, tag moves, deletes), oldest first, a page at a time ("Show more" follows the server's
 * cursor). Each row says whether the tamper-evident audit log or a store told it.
 */
import { useState } from 'preact/hooks';
import { imageHistory, type HistoryEvent } from '../api/history.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView } from './async-view.tsx';
import { DataTable, type Column } from './data-table.tsx';
import { ago, shortDigest, when } from '../format.ts';

const KIND_LABEL: Record<HistoryEvent['kind'], string> = {
  pushed: 'Pushed', tagged: 'Tagged', 'tag-moved': 'Tag moved', 'tag-deleted': 'Tag deleted', deleted: 'Deleted', restored: 'Restored', retention: 'Retention',
  scanned: 'Scanned', 'scan-failed': 'Scan failed', evaluated: 'Evaluated', verdict: 'Verdict', violation: 'Policy violation', referrer: 'Attached', other: 'Other',
};

function Details({ e }: { e: HistoryEvent }) {
  return (
    <>
      {e.policy && <span class="badge">policy {e.policy.name} v{e.policy.version}</span>}{' '}
      {e.exceptionsUsed?.length ? (
        <span>exceptions used: {e.exceptionsUsed.map((x) => `${x.vulnerability} (${x.reason}; until ${when(x.expiresAt)})`).join(', ')} </span>
      ) : e.decision?.exceptions.length ? (
        <span>exceptions used: {e.decision.exceptions.join(', ')} </span>
      ) : null}
      {e.referrer && (
        <span class="mono">
          {e.referrer.scheme} {shortDigest(e.referrer.digest)}
          {e.referrer.identity ? ` · signed by ${e.referrer.identity}` : ''}
        </span>
      )}
      {e.rules && (
        <ul class="rules">
          {e.rules.map((r) => (
            <li key={r.rule}>
              {r.passed ? 'pass' : r.pending ? 'hold' : 'FAIL'} {r.rule}: {r.reason}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const COLUMNS: Column<HistoryEvent>[] = [
  { header: 'When', cell: (e) => ago(e.at), title: (e) => when(e.at) },
  { header: 'Event', cell: (e) => KIND_LABEL[e.kind] },
  { header: 'Who', cell: (e) => e.actor ?? '—', narrow: true },
  { header: 'What', cellClass: 'break', cell: (e) => e.summary },
  { header: 'Details', cellClass: 'break', cell: (e) => <Details e={e} /> },
  { header: 'Source', cell: (e) => (e.source === 'audit' ? 'audit log' : 'current state'), narrow: true },
];

export function HistoryTimeline({ name, digest, version = 0 }: { name: string; digest: string; version?: number }) {
  const first = useAsync(() => imageHistory(name, digest), [name, digest, version]);
  const [more, setMore] = useState<{ key: string; events: HistoryEvent[]; next?: string }>({ key: '', events: [] });
  const [loadingMore, setLoadingMore] = useState(false);
  const key = `${name}@${digest}#${version}`;
  const extra = more.key === key ? more : { key, events: [] as HistoryEvent[], next: undefined };
  const next = extra.events.length ? extra.next : first.data?.next;
  const showMore = async () => {
    setLoadingMore(true);
    try {
      const page = await imageHistory(name, digest, next);
      setMore({ key, events: [...extra.events, ...page.events], ...(page.next ? { next: page.next } : {}) });
    } finally {
      setLoadingMore(false);
    }
  };
  return (
    <AsyncView heading="History" state={first} what="read this image's history" loading="Loading history…" isEmpty={(p) => p.events.length === 0} empty="Nothing recorded yet.">
      {(page) => (
        <>
          <DataTable caption="The image's history, oldest first" columns={COLUMNS} rows={[...page.events, ...extra.events]} rowKey={(e) => e.id} tableClass="wide" />
          {next && (
            <button type="button" onClick={showMore} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Show more'}
            </button>
          )}
        </>
      )}
    </AsyncView>
  );
}
