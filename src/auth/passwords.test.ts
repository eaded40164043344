import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword, MAX_CONCURRENT_SCRYPT, scryptInFlight } from './passwords.ts';

test('passwords verify, wrong ones and malformed hashes do not', async () => {
  const stored = await hashPassword('correct horse battery');
  assert.match(stored, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', stored), true);
  assert.equal(await verifyPassword('correct horse batterY', stored), false);
  assert.equal(await verifyPassword('x', 'scrypt$1$8$1$AAAA$AAAA'), false, 'N below the floor is refused without running scrypt');
  assert.equal(await verifyPassword('x', 'sha256$abc'), false);
});

test(`no more than ${MAX_CONCURRENT_SCRYPT} scrypt runs at once; the rest queue and all finish`, async () => {
  const stored = await hashPassword('burst-password');
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, scryptInFlight())), 1);
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => verifyPassword(i % 2 ? 'burst-password' : 'wrong', stored)));
  clearInterval(sampler);
  assert.deepEqual(results, Array.from({ length: 12 }, (_, i) => i % 2 === 1));
  assert.ok(peak >= 1 && peak <= MAX_CONCURRENT_SCRYPT, `peak ${peak}`);
  assert.equal(scryptInFlight(), 0);
});
