/** `select`, `insert`, ... from SQL text: a bounded label and span name (anything else: `other`). */
const STATEMENT_KINDS = new Set(['select', 'insert', 'update', 'delete', 'with', 'create', 'alter', 'drop', 'pragma', 'begin', 'commit', 'rollback', 'savepoint', 'release']);

export function statementKind(sqlText: string): string {
  const word = /^\s*\(?\s*([a-zA-Z]+)/.exec(sqlText)?.[1]?.toLowerCase() ?? 'other';
  return STATEMENT_KINDS.has(word) ? word : 'other';
}
