/**
 * /acr/v1: ACR's data-plane API (catalog, repository, tag and manifest attributes, verdicts).
 * Shapes follow ACR's public API reference section 3; each resource registers from its own file.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registerCatalogResource } from './catalog.ts';
import { registerRepositoryResource } from './repository.ts';
import { registerTagResources } from './tags.ts';
import { registerManifestResources } from './manifests.ts';

type ResourceRegistration = (scope: FastifyInstance, services: Services) => Promise<void> | void;

const RESOURCES: ResourceRegistration[] = [
  registerCatalogResource,
  registerRepositoryResource,
  registerTagResources,
  registerManifestResources,
];

export async function registerAcrRoutes(app: FastifyInstance, services: Services) {
  for (const register of RESOURCES) await register(app, services);
}
