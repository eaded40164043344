/** A repository: its tags and manifests with verdict badges, sizes, platforms and push times. */
import { getRepository, listManifests, listTags, verdictOf, type ManifestAttributes, type TagAttributes } from '../api/acr.ts';
import { usePolicyStatus } from '../api/management.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading, Refreshing } from '../components/status.tsx';
import { VerdictBadge } from '../components/verdict.tsx';
import { CopyField } from '../components/copy.tsx';
import { ago, bytes, platformOf, registryHost, shortDigest, when } from '../format.ts';
import { useState } from 'preact/hooks';

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
      {repo.loading && !repo.data && <Loading />}
      {repo.error && <ErrorBox error={repo.error} what={`open ${name}`} retry={repo.reload} />}
      {repo.data && (
        <dl class="kv summary">
          <dt>Tags</dt>
          <dd>{repo.data.tagCount}</dd>
          <dt>Manifests</dt>
          <dd>{repo.data.manifestCount}</dd>
          <dt>Created</dt>
          <dd>{when(repo.data.createdTime)}</dd>
          <dt>Last update</dt>
          <dd>{ago(repo.data.lastUpdateTime)}</dd>
        </dl>
      )}
      {repo.data && <CopyField label="Pull the latest tag" value={`docker pull ${registryHost()}/${name}:latest`} />}

      <h2>Tags</h2>
      <Refreshing active={tags.loading && !!tags.data} />
      {tags.loading && !tags.data && <Loading label="Loading tags…" />}
      {tags.error && !repo.error && <ErrorBox error={tags.error} what="list tags" retry={tags.reload} />}
      {tags.data && (tags.data.items.length === 0 ? <Empty>No tags you may see.</Empty> : <TagTable name={name} tags={tags.data.items} policyOn={policyOn} />)}
      {tags.data?.next && (
        <button type="button" onClick={() => setTagPage(tags.data!.next)}>
          More tags
        </button>
      )}

      <h2>Manifests</h2>
      <Refreshing active={manifests.loading && !!manifests.data} />
      {manifests.loading && !manifests.data && <Loading label="Loading manifests…" />}
      {manifests.error && !repo.error && <ErrorBox error={manifests.error} what="list manifests" retry={manifests.reload} />}
      {manifests.data &&
        (manifests.data.items.length === 0 ? (
          <Empty>No manifests you may see.</Empty>
        ) : (
          <ManifestTable name={name} manifests={manifests.data.items} policyOn={policyOn} />
        ))}
      {manifests.data?.next && (
        <button type="button" onClick={() => setManifestPage(manifests.data!.next)}>
          More manifests
        </button>
      )}
    </section>
  );
}

function TagTable({ name, tags, policyOn }: { name: string; tags: TagAttributes[]; policyOn: boolean }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">Tags of {name}</caption>
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col">Verdict</th>
            <th scope="col">Digest</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {tags.map((t) => (
            <tr key={t.name}>
              <th scope="row">{t.name}</th>
              <td>
                <VerdictBadge state={verdictOf(t)} policyOn={policyOn} />
              </td>
              <td>
                <a href={href.manifest(name, t.digest)} class="mono">
                  {shortDigest(t.digest)}
                </a>
              </td>
              <td title={when(t.lastUpdateTime)}>{ago(t.lastUpdateTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ManifestTable({ name, manifests, policyOn }: { name: string; manifests: ManifestAttributes[]; policyOn: boolean }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">Manifests of {name}</caption>
        <thead>
          <tr>
            <th scope="col">Digest</th>
            <th scope="col">Verdict</th>
            <th scope="col">Tags</th>
            <th scope="col" class="num">Size</th>
            <th scope="col">Platforms</th>
            <th scope="col">Pushed</th>
          </tr>
        </thead>
        <tbody>
          {manifests.map((m) => (
            <tr key={m.digest}>
              <th scope="row">
                <a href={href.manifest(name, m.digest)} class="mono">
                  {shortDigest(m.digest)}
                </a>
              </th>
              <td>
                <VerdictBadge state={verdictOf(m)} policyOn={policyOn} />
              </td>
              <td>{m.tags?.length ? m.tags.join(', ') : <span class="muted">untagged</span>}</td>
              <td class="num">{bytes(m.imageSize)}</td>
              <td>{platformsOf(m)}</td>
              <td title={when(m.createdTime)}>{ago(m.createdTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
