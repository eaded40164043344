/**
 * docs/errors.md and the error registry must agree: every descriptor documented with its wire
 * code, status and `when` sentence, and nothing documented that the registry lacks. On failure
 * the message holds the table to paste between the markers in docs/errors.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS } from './registry.ts';

const DOC = new URL('../../docs/errors.md', import.meta.url);
const BEGIN = '<!-- errors:begin (generated from src/errors/registry.ts; src/errors/registry.test.ts checks it) -->';
const END = '<!-- errors:end -->';

const escapeCell = (s: string) => s.replaceAll('|', '\\|');

export function renderErrorTable(): string {
  const rows = Object.entries(ERRORS).map(([name, d]) => `| \`${name}\` | \`${d.code}\` | ${d.status} | ${escapeCell(d.message)} | ${escapeCell(d.when)} |`);
  return ['| Name | Wire code | HTTP status | Default message | When |', '|---|---|---|---|---|', ...rows].join('\n');
}

test('docs/errors.md documents exactly the error registry', () => {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  assert.ok(start >= 0 && end > start, `docs/errors.md must contain the markers:\n${BEGIN}\n...\n${END}`);
  const documented = doc.slice(start + BEGIN.length, end).trim();
  const expected = renderErrorTable();
  assert.equal(documented, expected, `docs/errors.md is out of date; put this between the markers:\n\n${expected}\n`);
});

test('descriptors are well formed', () => {
  for (const [name, d] of Object.entries(ERRORS)) {
    assert.match(name, /^[A-Z][A-Z0-9_]*$/, name);
    assert.match(d.code, /^[A-Z][A-Z_]*$/, `${name}: wire codes are uppercase letters and underscores (OCI spec)`);
    assert.ok(d.status >= 400 && d.status <= 599, `${name}: status ${d.status}`);
    assert.ok(d.message.length > 0, `${name}: message`);
    assert.match(d.when, /\.$/, `${name}: 'when' is a sentence`);
  }
});
