/**
 * The leak matrix (test/suites/leak-matrix.ts) on one node in token mode. The same suite runs
 * through the three-node HAProxy cluster in test/cluster-haproxy.test.ts.
 */
import { after, before } from 'node:test';
import { startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { nodeTarget } from './helpers/target.ts';
import { leakMatrixSuite } from './suites/leak-matrix.ts';

let server: TestServer;
before(async () => {
  server = await startTokenServer();
});
after(() => server?.close());

leakMatrixSuite(() => nodeTarget(server), '');
