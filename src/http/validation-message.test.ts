import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validationMessage } from './validation-message.ts';

test('a union of literals is reported once, with the allowed values', () => {
  const issues = [
    ...['Owner', 'AcrPull', 'AcrPush'].map((v) => ({ keyword: 'const', instancePath: '/roles/0/role', message: 'must be equal to constant', params: { allowedValue: v } })),
    { keyword: 'anyOf', instancePath: '/roles/0/role', message: 'must match a schema in anyOf', params: {} },
  ];
  assert.equal(validationMessage('body', issues), 'body/roles/0/role must be one of: Owner, AcrPull, AcrPush');
});

test('an enum lists its values; other failures keep their own sentence, each said once', () => {
  assert.equal(
    validationMessage('querystring', [{ keyword: 'enum', instancePath: '/state', message: 'must be equal to one of the allowed values', params: { allowedValues: ['Passed', 'Failed'] } }]),
    'querystring/state must be one of: Passed, Failed',
  );
  const repeated = { keyword: 'maxLength', instancePath: '/name', message: 'must NOT have more than 64 characters', params: { limit: 64 } };
  assert.equal(validationMessage('body', [repeated, repeated, { keyword: 'required', instancePath: '', message: "must have required property 'name'" }]),
    "body/name must NOT have more than 64 characters; body must have required property 'name'");
});

test('an anyOf of non-literal schemas keeps the branch errors, not the bare anyOf', () => {
  const issues = [
    { keyword: 'type', instancePath: '/details', message: 'must be string' },
    { keyword: 'type', instancePath: '/details', message: 'must be object' },
    { keyword: 'anyOf', instancePath: '/details', message: 'must match a schema in anyOf' },
  ];
  assert.equal(validationMessage('body', issues), 'body/details must be string; body/details must be object');
});
