/** On one node (auth.mode none): the suite in test/suites/distribution-blobs.ts. The same suite runs through the HAProxy cluster in test/cluster-haproxy.test.ts. */
import { useRegistryServer } from './helpers/registry-client.ts';
import { distributionBlobsSuite } from './suites/distribution-blobs.ts';

distributionBlobsSuite(useRegistryServer(), true);
