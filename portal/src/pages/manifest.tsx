/**
 * A manifest: verdict with the scanner's details, pull commands, its scan (status, findings,
 * report and SBOM links: components/scan-panel.tsx), layers and config (images),
 * child manifests (indexes), referrers, and the audit history of its verdict.
 */
import { Fragment } from 'preact';
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
import { audit, isForbidden, usePolicyStatus } from '../api/management.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading } from '../components/status.tsx';
import { DetailsView, VerdictBadge } from '../components/verdict.tsx';
import { VerdictActions } from '../components/verdict-actions.tsx';
import { CopyField } from '../components/copy.tsx';
import { AuditTable } from '../components/audit-table.tsx';
import { ScanPanel } from '../components/scan-panel.tsx';
import { WhyHeld } from '../components/why-held.tsx';
import { ago, bytes, platformOf, registryHost, shortDigest, when } from '../format.ts';

const CONFIG_LIMIT = 256 * 1024;

export function Manifest({ name, digest }: { name: string; digest: string }) {
  const policy = usePolicyStatus();
  const attrs = useAsync(() => getManifestAttributes(name, digest), [name, digest]);
  const doc = useAsync(() => getManifestDocument(name, digest), [name, digest]);
  const rights = useAsync(() => grantedActions(writeScope(name), 'repository', name).catch(() => new Set<string>()), [name]);
  const history = useAsync(() => audit({ target: `${name}@${digest}`, n: 50 }), [name, digest]);
  const reload = () => {
    attrs.reload();
    history.reload();
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
      {attrs.loading && !attrs.data && <Loading />}
      {attrs.error && <ErrorBox error={attrs.error} what="open this manifest" retry={attrs.reload} />}
      <WhyHeld name={name} digest={digest} />
      {attrs.data && (
        <>
          <dl class="kv summary">
            <dt>Digest</dt>
            <dd class="mono break">{attrs.data.digest}</dd>
            <dt>Media type</dt>
            <dd>{attrs.data.mediaType ?? '—'}</dd>
            <dt>Size</dt>
            <dd>{bytes(attrs.data.imageSize)}</dd>
            <dt>Platform</dt>
            <dd>{platformOf(attrs.data)}</dd>
            <dt>Tags</dt>
            <dd>{attrs.data.tags?.length ? attrs.data.tags.join(', ') : 'untagged'}</dd>
            <dt>Pushed</dt>
            <dd title={when(attrs.data.createdTime)}>{ago(attrs.data.createdTime)}</dd>
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
            <DetailsView raw={attrs.data.changeableAttributes?.quarantineDetails} />
            {canWrite && <VerdictActions name={name} digest={digest} current={state} onChanged={reload} />}
          </div>

          <h2>Pull</h2>
          <CopyField label="By digest" value={`docker pull ${registryHost()}/${name}@${digest}`} />
          {(attrs.data.tags ?? []).map((t) => (
            <CopyField key={t} label={`By tag ${t}`} value={`docker pull ${registryHost()}/${name}:${t}`} />
          ))}
        </>
      )}

      {!attrs.error && <ScanPanel name={name} digest={digest} />}

      {doc.error && !attrs.error && <ErrorBox error={doc.error} what="read the manifest content" retry={doc.reload} />}
      {doc.data && <Content name={name} doc={doc.data} />}

      {!attrs.error && <Referrers name={name} digest={digest} />}

      <h2>History</h2>
      {history.loading && !history.data && <Loading label="Loading audit history…" />}
      {history.error &&
        (isForbidden(history.error) ? (
          <p class="muted">The audit history is visible to owners, contributors and readers.</p>
        ) : (
          <ErrorBox error={history.error} what="read the audit log" />
        ))}
      {history.data && (history.data.length === 0 ? <Empty>No recorded verdict changes.</Empty> : <AuditTable entries={history.data} />)}
    </section>
  );
}

function DescriptorTable({ caption, rows, name, link }: { caption: string; rows: Descriptor[]; name: string; link?: boolean }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Digest</th>
            <th scope="col">Media type</th>
            {link && <th scope="col">Platform</th>}
            <th scope="col" class="num">Size</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d, i) => (
            <tr key={`${d.digest}-${i}`}>
              <th scope="row" class="mono">
                {link ? <a href={href.manifest(name, d.digest)}>{shortDigest(d.digest)}</a> : shortDigest(d.digest)}
              </th>
              <td class="break">{d.artifactType ?? d.mediaType}</td>
              {link && <td>{platformOf(d.platform)}</td>}
              <td class="num">{bytes(d.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
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
    <>
      <h2>Referrers</h2>
      {refs.loading && !refs.data && <Loading label="Loading referrers…" />}
      {refs.error && <ErrorBox error={refs.error} what="list referrers" />}
      {refs.data &&
        ((refs.data.manifests ?? []).length === 0 ? (
          <Empty>No signatures, SBOMs or other artifacts refer to this manifest.</Empty>
        ) : (
          <DescriptorTable caption="Referrers" rows={refs.data.manifests ?? []} name={name} link />
        ))}
    </>
  );
}
