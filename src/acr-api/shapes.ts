/**
 * ACR's /acr/v1 response shapes (ACR's API reference section 3), built from store records.
 * Timestamps are ACR's: ISO-8601 UTC with 7 fractional digits. Quarantine fields follow real
 * ACR traffic: `quarantineState`/`quarantineDetails` inside a manifest's
 * `changeableAttributes`, `quarantineState` at the top level of a tag object; both are left out
 * when the manifest has no verdict. The shapes: ./acr-schemas.ts (the routes' responses).
 */
import type { FastifyRequest } from 'fastify';
import type { LazaretConfig } from '../config/schema.ts';
import type { ChangeableAttributes, ManifestRecord, RepositoryRecord, TagRecord, VerdictRecord } from '../registry/index.ts';
import { formatAcrTimestamp } from '../events/index.ts';
import type { Static } from 'typebox';
import type * as S from './acr-schemas.ts';

export const acrTime = (d: Date) => formatAcrTimestamp(d);

/** The login server name ACR puts in `registry`: the configured service, else baseUrl's host, else the Host header. */
export function registryName(config: Pick<LazaretConfig, 'service' | 'baseUrl'>, request: FastifyRequest): string {
  if (config.service) return config.service;
  if (config.baseUrl) return new URL(config.baseUrl).host;
  return request.headers.host ?? 'localhost';
}

const attrs = (a: ChangeableAttributes): Static<typeof S.ChangeableAttributes> => ({
  deleteEnabled: a.deleteEnabled,
  writeEnabled: a.writeEnabled,
  readEnabled: a.readEnabled,
  listEnabled: a.listEnabled,
});

export function repositoryAttributes(registry: string, repo: RepositoryRecord, counts: { manifestCount: number; tagCount: number }): Static<typeof S.RepositoryAttributes> {
  return {
    registry,
    imageName: repo.name,
    createdTime: acrTime(repo.createdAt),
    lastUpdateTime: acrTime(repo.updatedAt),
    manifestCount: counts.manifestCount,
    tagCount: counts.tagCount,
    changeableAttributes: attrs(repo),
  };
}

export function tagAttributes(tag: TagRecord, verdict?: VerdictRecord): Static<typeof S.TagAttributes> {
  return {
    name: tag.name,
    digest: tag.digest,
    createdTime: acrTime(tag.createdAt),
    lastUpdateTime: acrTime(tag.updatedAt),
    signed: false,
    ...(verdict ? { quarantineState: verdict.state } : {}),
    changeableAttributes: attrs(tag),
  };
}

const isIndex = (m: ManifestRecord) =>
  m.children.length > 0 ||
  m.mediaType === 'application/vnd.oci.image.index.v1+json' ||
  m.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json';

export function manifestAttributes(m: ManifestRecord, tags: string[], verdict?: VerdictRecord): Static<typeof S.ManifestAttributes> {
  return {
    digest: m.digest,
    imageSize: m.imageSize,
    createdTime: acrTime(m.createdAt),
    lastUpdateTime: acrTime(m.updatedAt),
    ...(m.architecture !== undefined ? { architecture: m.architecture } : {}),
    ...(m.os !== undefined ? { os: m.os } : {}),
    ...(isIndex(m)
      ? { references: m.children.map((c) => ({ digest: c.digest, ...(c.architecture !== undefined ? { architecture: c.architecture } : {}), ...(c.os !== undefined ? { os: c.os } : {}) })) }
      : {}),
    mediaType: m.mediaType,
    ...(m.configMediaType !== undefined ? { configMediaType: m.configMediaType } : {}),
    tags,
    changeableAttributes: {
      ...attrs(m),
      ...(verdict ? { quarantineState: verdict.state } : {}),
      ...(verdict?.details !== undefined ? { quarantineDetails: verdict.details } : {}),
    },
  };
}
