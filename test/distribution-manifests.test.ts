/** On one node (auth.mode none): the suite in test/suites/distribution-manifests.ts. The same suite runs through the HAProxy cluster in test/cluster-haproxy.test.ts. */
import { useRegistryServer } from './helpers/registry-client.ts';
import { distributionManifestsSuite } from './suites/distribution-manifests.ts';

distributionManifestsSuite(useRegistryServer(), true);
