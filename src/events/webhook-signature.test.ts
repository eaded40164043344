import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signBody, verifySignature } from './webhook-signature.ts';

test('signature is sha256=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))', () => {
  const body = '{"id":"1","action":"push"}';
  const expected = 'sha256=' + createHmac('sha256', 'k').update(`1700000000.${body}`).digest('hex');
  assert.equal(signBody('k', '1700000000', body), expected);
});

test('verification rejects tampering, wrong secrets and stale timestamps', () => {
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  const body = '{"a":1}';
  const sig = signBody('secret', ts, body);
  assert.equal(verifySignature('secret', ts, body, sig, { now }), true);
  assert.equal(verifySignature('secret', ts, '{"a":2}', sig, { now }), false);
  assert.equal(verifySignature('other', ts, body, sig, { now }), false);
  assert.equal(verifySignature('secret', String(now / 1000 + 1), body, sig, { now }), false, 'timestamp is signed');
  assert.equal(verifySignature('secret', ts, body, sig, { now: now + 301_000 }), false, 'too old');
  assert.equal(verifySignature('secret', ts, body, 'sha256=00', { now }), false);
});
