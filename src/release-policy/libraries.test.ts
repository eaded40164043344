import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicyLibraries, policyLibraries } from './libraries.ts';

// Runs in its own process (one test file per process), so nothing loaded the libraries before.
test('the libraries are loaded once, on demand; reading them before that throws', async () => {
  assert.throws(() => policyLibraries(), /before loadPolicyLibraries\(\) resolved/);
  const [a, b] = await Promise.all([loadPolicyLibraries(), loadPolicyLibraries()]);
  assert.equal(a, b, 'concurrent first calls share one load');
  assert.equal(policyLibraries(), a);
  assert.equal(typeof a.cel.parse, 'function');
  assert.equal(typeof a.verify.Verifier, 'function');
  assert.equal(typeof a.cbor.decode, 'function');
});
