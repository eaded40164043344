/** On one node (auth.mode none): the suite in test/suites/distribution-discovery.ts. The same suite runs through the HAProxy cluster in test/cluster-haproxy.test.ts. */
import { useRegistryServer } from './helpers/registry-client.ts';
import { distributionDiscoverySuite } from './suites/distribution-discovery.ts';

distributionDiscoverySuite(useRegistryServer(), true);
