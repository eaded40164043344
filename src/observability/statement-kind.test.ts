import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statementKind } from './statement-kind.ts';

test('the first word of a statement, after blanks and one parenthesis, is its kind', () => {
  assert.equal(statementKind('select 1'), 'select');
  assert.equal(statementKind('  \n\tINSERT into t values (?)'), 'insert');
  assert.equal(statementKind('(select 1) union (select 2)'), 'select');
  assert.equal(statementKind(' ( with x as (select 1) select * from x)'), 'with');
  assert.equal(statementKind('savepoint "sp1"'), 'savepoint');
  assert.equal(statementKind('Rollback'), 'rollback');
});

test('anything else is `other`, so the label stays bounded', () => {
  for (const sql of ['', '   ', 'vacuum', 'selectx from t', '((select 1))', '1 + 1', 'explain select 1', 'selectselectselect']) {
    assert.equal(statementKind(sql), 'other', sql);
  }
});
