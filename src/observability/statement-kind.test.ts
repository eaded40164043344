import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statementKind } from './statement-kind.ts';

test('the first word of a statement, after blanks and one parenthesis, is its kind', () => {
  const cases: [string, string][] = [
    ['select 1', 'select'],
    ['  \n\tINSERT into t values (?)', 'insert'],
    ['(select 1) union (select 2)', 'select'],
    [' ( with x as (select 1) select * from x)', 'with'],
    ['savepoint "sp1"', 'savepoint'],
    ['Rollback', 'rollback'],
  ];
  for (const [sql, kind] of cases) assert.equal(statementKind(sql), kind, sql);
});

test('anything else is `other`, so the label stays bounded', () => {
  for (const sql of ['', '   ', 'vacuum', 'selectx from t', '((select 1))', '1 + 1', 'explain select 1', 'selectselectselect']) {
    assert.equal(statementKind(sql), 'other', sql);
  }
});
