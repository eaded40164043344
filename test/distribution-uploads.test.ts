/** On one node (auth.mode none): the suite in test/suites/distribution-uploads.ts. The same suite runs through the HAProxy cluster in test/cluster-haproxy.test.ts. */
import { useRegistryServer } from './helpers/registry-client.ts';
import { distributionUploadsSuite } from './suites/distribution-uploads.ts';

distributionUploadsSuite(useRegistryServer(), true);
