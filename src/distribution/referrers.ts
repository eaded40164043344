/**
 * `GET /v2/<name>/referrers/<digest>[?artifactType=]`: an OCI image index of the manifests in
 * the repository whose `subject` is `<digest>` and that the gate lets the caller see. Each
 * descriptor carries the referrer's artifactType (else its config media type; none for an
 * index) and all its annotations. With `artifactType`, only matching referrers are listed and
 * `OCI-Filters-Applied: artifactType` says so. Never 404 (the spec forbids it for registries
 * with the API): an unknown repository or subject gives an empty index.
 * Decision: no pagination; a subject's referrers come in one response.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { MEDIA_TYPES } from '../oci/index.ts';
import { effectiveArtifactType } from '../oci/index.ts';
import { queryValue, repositoryName, requireDigest, type Params } from './params.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';
import type { Static } from 'typebox';
import type { V2ReferrersIndex } from './v2-schemas.ts';

export function registerReferrers(app: FastifyInstance, services: Services) {
  serve(app, distributionRoutes.getReferrers, async (request, reply) => {
      const name = repositoryName(request);
      const subject = requireDigest((request.params as Params).digest);
      const filter = queryValue(request, 'artifactType');
      const records = await services.registry.as(request.access).listReferrers(name, subject);
      let manifests = records.map((r) => {
        const artifactType = effectiveArtifactType(r);
        return {
          mediaType: r.mediaType,
          digest: r.digest,
          size: r.size,
          ...(artifactType ? { artifactType } : {}),
          ...(r.annotations && Object.keys(r.annotations).length > 0 ? { annotations: r.annotations } : {}),
        };
      });
      if (filter) {
        manifests = manifests.filter((d) => d.artifactType === filter);
        reply.header('OCI-Filters-Applied', 'artifactType');
      }
      return reply
        .type(MEDIA_TYPES.ociIndex)
        .send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests } satisfies Static<typeof V2ReferrersIndex>)));
    });
}
