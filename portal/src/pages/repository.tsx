/** A repository: its tags and manifests with verdict badges, sizes, platforms and push times. */
import { getRepository, listManifests, listTags, verdictOf, type ManifestAttributes, type TagAttributes } from '../api/acr.ts';
import { usePolicyStatus } from '../api/management.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { VerdictBadge } from '../components/verdict.tsx';
import { CopyField } from '../components/copy.tsx';
import { ago, bytes, platformOf, registryHost, shortDigest, when } from '../format.ts';
import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

export function platformsOf(m: ManifestAttributes): string {
  if (m.references && m.references.length > 0) {
    const set = [...new Set(m.references.map((r) => platformOf(r)).filter((p) => p !== '—'))];
    return set.length ? set.join(', ') : `${m.references.length} children`;
  }
  return platformOf(m);
}

export function Repository({ name }: { name: string }) {
  const policy = usePolicyStatus();
  const [tagPage, setTagPage] = useState<string | null>(null);
  const [manifestPage, setManifestPage] = useState<string | null>(null);
  const repo = useAsync(() => getRepository(name), [name]);
  const tags = useAsync(() => listTags(name, tagPage), [name, tagPage]);
  const manifests = useAsync(() => listManifests(name, manifestPage), [name, manifestPage]);
  const policyOn = policy === 'enabled';
  const reload = () => {
    repo.reload();
    tags.reload();
    manifests.reload();
  };

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href.repositories()}>Repositories</a> / <span aria-current="page">{name}</span>
      </nav>
      <div class="title-row">
        <h1>{name}</h1>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <AsyncView state={repo} what={`open ${name}`}>
        {(r) => (
          <>
            <dl class="kv summary">
              <dt>Tags</dt>
              <dd>{r.tagCount}</dd>
              <dt>Manifests</dt>
              <dd>{r.manifestCount}</dd>
              <dt>Created</dt>
              <dd>{when(r.createdTime)}</dd>
              <dt>Last update</dt>
              <dd>{ago(r.lastUpdateTime)}</dd>
            </dl>
            <CopyField label="Pull the latest tag" value={`docker pull ${registryHost()}/${name}:latest`} />
          </>
        )}
      </AsyncView>

      <h2>Tags</h2>
      {/* The repository's own error already says why; its lists add nothing to it. */}
      <AsyncView state={tags} what="list tags" loading="Loading tags…" empty="No tags you may see." isEmpty={(t) => t.items.length === 0} onError={hiddenBy(repo.error)}>
        {(t) => <DataTable caption={`Tags of ${name}`} columns={tagColumns(name, policyOn)} rows={t.items} rowKey={(x) => x.name} />}
      </AsyncView>
      {tags.data?.next && (
        <button type="button" onClick={() => setTagPage(tags.data!.next)}>
          More tags
        </button>
      )}

      <AsyncView
        heading="Manifests"
        state={manifests}
        what="list manifests"
        loading="Loading manifests…"
        empty="No manifests you may see."
        isEmpty={(m) => m.items.length === 0}
        onError={hiddenBy(repo.error)}
      >
        {(m) => <ManifestTable name={name} manifests={m.items} policyOn={policyOn} />}
      </AsyncView>
      {manifests.data?.next && (
        <button type="button" onClick={() => setManifestPage(manifests.data!.next)}>
          More manifests
        </button>
      )}
    </section>
  );
}

/** With `cause` set, a list's error is not shown (the box for `cause` explains it). */
function hiddenBy(cause: Error | null): ((error: Error) => ComponentChildren) | undefined {
  return cause ? () => null : undefined;
}

function tagColumns(name: string, policyOn: boolean): Column<TagAttributes>[] {
  return [
    { header: 'Tag', cell: (t) => t.name },
    { header: 'Verdict', cell: (t) => <VerdictBadge state={verdictOf(t)} policyOn={policyOn} /> },
    {
      header: 'Digest',
      cell: (t) => (
        <a href={href.manifest(name, t.digest)} class="mono">
          {shortDigest(t.digest)}
        </a>
      ),
    },
    { header: 'Updated', title: (t) => when(t.lastUpdateTime), cell: (t) => ago(t.lastUpdateTime) },
  ];
}

function manifestColumns(name: string, policyOn: boolean): Column<ManifestAttributes>[] {
  return [
    {
      header: 'Digest',
      cell: (m) => (
        <a href={href.manifest(name, m.digest)} class="mono">
          {shortDigest(m.digest)}
        </a>
      ),
    },
    { header: 'Verdict', cell: (m) => <VerdictBadge state={verdictOf(m)} policyOn={policyOn} /> },
    { header: 'Tags', cell: (m) => (m.tags?.length ? m.tags.join(', ') : <span class="muted">untagged</span>) },
    { header: 'Size', class: 'num', cell: (m) => bytes(m.imageSize) },
    { header: 'Platforms', cell: (m) => platformsOf(m) },
    { header: 'Pushed', title: (m) => when(m.createdTime), cell: (m) => ago(m.createdTime) },
  ];
}

export function ManifestTable({ name, manifests, policyOn }: { name: string; manifests: ManifestAttributes[]; policyOn: boolean }) {
  return <DataTable caption={`Manifests of ${name}`} columns={manifestColumns(name, policyOn)} rows={manifests} rowKey={(m) => m.digest} />;
}
