import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkQuarantineDetails } from './details-schema.ts';

const ok = (s: unknown) => assert.deepEqual(checkQuarantineDetails(JSON.stringify(s)), { ok: true });
const bad = (s: string, field: string) => {
  const r = checkQuarantineDetails(s);
  assert.equal(r.ok, false, `expected ${s} to be refused`);
  if (!r.ok) assert.equal(r.field, field);
};

test('accepts ACR example, the seed example, real-world Qualys value and an empty object', () => {
  ok({ scanner: 'SecurityCenter', state: 'ScanState', link: 'https://testresult/summary', result: { version: '0.0.1', summary: [{ severity: 'Critical', count: 10 }, { severity: 'High', count: 10 }, { severity: 'Low', count: 10 }] } });
  ok({ state: 'scan passed', link: 'http://test.io/test' });
  ok({ state: 'Scan Failed', link: 'https://aka.ms/test', scanner: 'Azure Security Monitoring-Qualys Scanner', result: { version: '2020-05-13T00:23:31.954Z', summary: [{ severity: 'High', count: 2 }] } });
  ok({});
  ok({ result: { version: '', summary: [], description: 'x'.repeat(1024), extra: true } });
  ok({ result: { version: '1', summary: [{}] } });
});

test('refuses with the offending field named', () => {
  bad('not json', 'quarantineDetails');
  bad('[]', 'quarantineDetails');
  bad('"a string"', 'quarantineDetails');
  bad('{"extra":1}', 'quarantineDetails.extra');
  bad('{"state":3}', 'quarantineDetails.state');
  bad('{"scanner":null}', 'quarantineDetails.scanner');
  bad('{"link":{}}', 'quarantineDetails.link');
  bad('{"result":"x"}', 'quarantineDetails.result');
  bad('{"result":{"summary":[]}}', 'quarantineDetails.result.version');
  bad('{"result":{"version":1,"summary":[]}}', 'quarantineDetails.result.version');
  bad('{"result":{"version":"1"}}', 'quarantineDetails.result.summary');
  bad('{"result":{"version":"1","summary":{}}}', 'quarantineDetails.result.summary');
  bad(JSON.stringify({ result: { version: '1', summary: Array(6).fill({}) } }), 'quarantineDetails.result.summary');
  bad('{"result":{"version":"1","summary":[{"severity":"Severe"}]}}', 'quarantineDetails.result.summary[0].severity');
  bad('{"result":{"version":"1","summary":[{"severity":""}]}}', 'quarantineDetails.result.summary[0].severity');
  bad('{"result":{"version":"1","summary":[{"count":1.5}]}}', 'quarantineDetails.result.summary[0].count');
  bad('{"result":{"version":"1","summary":[1]}}', 'quarantineDetails.result.summary[0]');
  bad(JSON.stringify({ result: { version: '1', summary: [], description: 'x'.repeat(1025) } }), 'quarantineDetails.result.description');
  bad(JSON.stringify({ state: 'x'.repeat(70000) }), 'quarantineDetails');
});
