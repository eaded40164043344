/**
 * A manifest: verdict with the scanner's details, pull commands, its scan (status, findings,
 * report and SBOM links: components/scan-panel.tsx), layers and config (images),
 * child manifests (indexes), referrers, and the image's whole history (components/history-timeline.tsx).
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import {
  getBlobJson,
  getManifestAttributes,
  getManifestDocument,
  getReferrers,
  writeScope,
  verdictOf,
  type Descriptor,
  type ImageConfig,
  type ManifestDocument,
} from '../api/acr.ts';
import { grantedActions } from '../api/client.ts';
import { usePolicyStatus } from '../api/management.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading } from '../components/status.tsx';
import { AsyncView } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { DetailsView, VerdictBadge } from '../components/verdict.tsx';
import { VerdictActions } from '../components/verdict-actions.tsx';
import { CopyField } from '../components/copy.tsx';
import { HistoryTimeline } from '../components/history-timeline.tsx';
import { ScanPanel } from '../components/scan-panel.tsx';
import { WhyHeld } from '../components/why-held.tsx';
import { ago, bytes, platformOf, registryHost, shortDigest, when } from '../format.ts';

const CONFIG_LIMIT = 256 * 1024;

export function Manifest({ name, digest }: { name: string; digest: string }) {
  const policy = usePolicyStatus();
  const attrs = useAsync(() => getManifestAttributes(name, digest), [name, digest]);
  const doc = useAsync(() => getManifestDocument(name, digest), [name, digest]);
  const rights = useAsync(() => grantedActions(writeScope(name), 'repository', name).catch(() => new Set<string>()), [name]);
  // A verdict changed here reloads the history too.
  const [changes, setChanges] = useState(0);
  const reload = () => {
    attrs.reload();
    setChanges((n) => n + 1);
  };
  const state = verdictOf(attrs.data);
  const canWrite = rights.data?.has('quarantine_write') ?? false;

  return (
    <section>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href.repositories()}>Repositories</a> / <a href={href.repository(name)}>{name}</a> /{' '}
        <span aria-current="page">{shortDigest(digest)}</span>
      </nav>
      <div class="title-row">
        <h1 class="break">
          {name}@{shortDigest(digest)}
        </h1>
        {attrs.data && <VerdictBadge state={state} policyOn={policy === 'enabled'} />}
      </div>
      {/* Loads on its own (the registry decides who may see it), whatever the attributes' answer. */}
      <WhyHeld name={name} digest={digest} />
      <AsyncView state={attrs} what="open this manifest">
        {(a) => (
          <>
            <dl class="kv summary">
              <dt>Digest</dt>
              <dd class="mono break">{a.digest}</dd>
              <dt>Media type</dt>
              <dd>{a.mediaType ?? '—'}</dd>
              <dt>Size</dt>
              <dd>{bytes(a.imageSize)}</dd>
              <dt>Platform</dt>
              <dd>{platformOf(a)}</dd>
              <dt>Tags</dt>
              <dd>{a.tags?.length ? a.tags.join(', ') : 'untagged'}</dd>
              <dt>Pushed</dt>
              <dd title={when(a.createdTime)}>{ago(a.createdTime)}</dd>
            </dl>

            <h2>Verdict</h2>
            <div class="card">
              <p>
                <VerdictBadge state={state} policyOn={policy === 'enabled'} />{' '}
                {state === 'none' && (policy === 'enabled' ? 'Held: no scanner has passed it yet.' : 'No scanner has looked at it.')}
                {state === 'Quarantined' && 'Held until a quarantine writer passes it.'}
                {state === 'Passed' && 'Released: it can be pulled.'}
                {state === 'Failed' && 'Failed: it stays held.'}
              </p>
              <DetailsView raw={a.changeableAttributes?.quarantineDetails} />
              {canWrite && <VerdictActions name={name} digest={digest} current={state} onChanged={reload} />}
            </div>

            <h2>Pull</h2>
            <CopyField label="By digest" value={`docker pull ${registryHost()}/${name}@${digest}`} />
            {(a.tags ?? []).map((t) => (
              <CopyField key={t} label={`By tag ${t}`} value={`docker pull ${registryHost()}/${name}:${t}`} />
            ))}
          </>
        )}
      </AsyncView>

      {!attrs.error && <ScanPanel name={name} digest={digest} />}

      {/* Once the manifest itself failed, its box explains why its content is missing too. */}
      <AsyncView state={doc} what="read the manifest content" onError={attrs.error ? () => null : undefined}>
        {(d) => <Content name={name} doc={d} />}
      </AsyncView>

      {!attrs.error && <Referrers name={name} digest={digest} />}

      {/* The registry decides who may see it: a held image's history is absent for those who may
          not see the image, whose box above already says so. */}
      {!attrs.error && <HistoryTimeline name={name} digest={digest} version={changes} />}
    </section>
  );
}

/** Child manifests and referrers link to their own page (and show a platform); layers do not. */
function descriptorColumns(name: string, link: boolean): Column<Descriptor>[] {
  return [
    { header: 'Digest', cellClass: 'mono', cell: (d) => (link ? <a href={href.manifest(name, d.digest)}>{shortDigest(d.digest)}</a> : shortDigest(d.digest)) },
    { header: 'Media type', cellClass: 'break', cell: (d) => d.artifactType ?? d.mediaType },
    ...(link ? [{ header: 'Platform', cell: (d: Descriptor) => platformOf(d.platform) }] : []),
    { header: 'Size', class: 'num', cell: (d) => bytes(d.size) },
  ];
}

function DescriptorTable({ caption, rows, name, link = false }: { caption: string; rows: Descriptor[]; name: string; link?: boolean }) {
  return <DataTable caption={caption} columns={descriptorColumns(name, link)} rows={rows} rowKey={(d, i) => `${d.digest}-${i}`} />;
}

function Content({ name, doc }: { name: string; doc: ManifestDocument }) {
  return (
    <>
      {doc.manifests && (
        <>
          <h2>Platforms</h2>
          {doc.manifests.length === 0 ? <Empty>This index lists no manifests.</Empty> : <DescriptorTable caption="Child manifests" rows={doc.manifests} name={name} link />}
        </>
      )}
      {doc.config && <Config name={name} config={doc.config} />}
      {doc.layers && (
        <>
          <h2>Layers</h2>
          {doc.layers.length === 0 ? (
            <Empty>No layers.</Empty>
          ) : (
            <>
              <p class="muted">
                {doc.layers.length} layers, {bytes(doc.layers.reduce((a, l) => a + (l.size || 0), 0))} compressed.
              </p>
              <DescriptorTable caption="Layers" rows={doc.layers} name={name} />
            </>
          )}
        </>
      )}
      {doc.subject && (
        <p>
          Refers to <a href={href.manifest(name, doc.subject.digest)}>{shortDigest(doc.subject.digest)}</a>.
        </p>
      )}
    </>
  );
}

function Config({ name, config }: { name: string; config: Descriptor }) {
  const isImageConfig = /image\.config|container\.image/.test(config.mediaType);
  const data = useAsync(
    async () => (isImageConfig && config.size <= CONFIG_LIMIT ? getBlobJson<ImageConfig>(name, config.digest) : null),
    [name, config.digest],
  );
  const c = data.data;
  return (
    <>
      <h2>Config</h2>
      <dl class="kv">
        <dt>Digest</dt>
        <dd class="mono break">{config.digest}</dd>
        <dt>Media type</dt>
        <dd class="break">{config.mediaType}</dd>
        <dt>Size</dt>
        <dd>{bytes(config.size)}</dd>
        {c && (
          <>
            <dt>Platform</dt>
            <dd>{platformOf(c)}</dd>
            <dt>Created</dt>
            <dd>{when(c.created)}</dd>
            {c.config?.Entrypoint && (
              <>
                <dt>Entrypoint</dt>
                <dd class="mono">{c.config.Entrypoint.join(' ')}</dd>
              </>
            )}
            {c.config?.Cmd && (
              <>
                <dt>Command</dt>
                <dd class="mono">{c.config.Cmd.join(' ')}</dd>
              </>
            )}
            {c.config?.User && (
              <>
                <dt>User</dt>
                <dd>{c.config.User}</dd>
              </>
            )}
            {c.config?.Labels &&
              Object.entries(c.config.Labels).map(([k, v]) => (
                <Fragment key={k}>
                  <dt class="mono">{k}</dt>
                  <dd class="break">{v}</dd>
                </Fragment>
              ))}
          </>
        )}
      </dl>
      {data.loading && <Loading label="Loading config…" />}
      {data.error && <ErrorBox error={data.error} what="read the image config" />}
    </>
  );
}

function Referrers({ name, digest }: { name: string; digest: string }) {
  const refs = useAsync(() => getReferrers(name, digest), [name, digest]);
  return (
    <AsyncView
      heading="Referrers"
      state={refs}
      what="list referrers"
      loading="Loading referrers…"
      empty="No signatures, SBOMs or other artifacts refer to this manifest."
      isEmpty={(r) => (r.manifests ?? []).length === 0}
    >
      {(r) => <DescriptorTable caption="Referrers" rows={r.manifests ?? []} name={name} link />}
    </AsyncView>
  );
}
