import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteEvent, pingEvent, pushEvent, quarantineEvent } from './event-payloads.ts';

const request = { id: 'req', host: 'reg.example:5000', method: 'PUT', useragent: 'docker/27', actor: 'alice' };
const m = { repository: 'helloworld', digest: 'sha256:91ef6', mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1791 };

test('quarantine matches the seed example exactly (no mediaType, no useragent)', () => {
  const e = quarantineEvent({ ...m, tag: '1' }, request, { id: '0d799b14-404b-4859-b2f6-50c5ee2a2c3a', at: Date.UTC(2018, 1, 28, 0, 42, 54, 450) + 0.9375 });
  assert.equal(
    JSON.stringify(e),
    JSON.stringify({
      id: '0d799b14-404b-4859-b2f6-50c5ee2a2c3a',
      timestamp: '2018-02-28T00:42:54.4509375Z',
      action: 'quarantine',
      target: { size: 1791, digest: 'sha256:91ef6', length: 1791, repository: 'helloworld', tag: '1' },
      request: { id: 'req', host: 'reg.example:5000', method: 'PUT' },
    }),
  );
});

test('push and delete carry ACR fields in ACR order; no tag key when pushed by digest', () => {
  const p = pushEvent(m, request, { id: 'x', at: 0 });
  assert.equal(
    JSON.stringify(p),
    '{"id":"x","timestamp":"1970-01-01T00:00:00.0000000Z","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1791,"digest":"sha256:91ef6","length":1791,"repository":"helloworld"},"request":{"id":"req","host":"reg.example:5000","method":"PUT","useragent":"docker/27"}}',
  );
  const d = deleteEvent(m, { ...request, method: 'DELETE' }, { id: 'y', at: 0 });
  assert.equal(
    JSON.stringify(d),
    '{"id":"y","timestamp":"1970-01-01T00:00:00.0000000Z","action":"delete","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:91ef6","repository":"helloworld"},"request":{"id":"req","host":"reg.example:5000","method":"DELETE","useragent":"docker/27"}}',
  );
  assert.deepEqual(Object.keys(pingEvent()), ['id', 'timestamp', 'action']);
  assert.notEqual(pushEvent(m, request).id, pushEvent(m, request).id);
});
