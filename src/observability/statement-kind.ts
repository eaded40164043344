/** `select`, `insert`, ... from SQL text: a bounded label and span name (anything else: `other`). */
const STATEMENT_KINDS = new Set(['select', 'insert', 'update', 'delete', 'with', 'create', 'alter', 'drop', 'pragma', 'begin', 'commit', 'rollback', 'savepoint', 'release']);

/**
 * Called for every query when metrics are on, so it reads the first word by hand instead of
 * running a regular expression over the statement: leading blanks and one `(` are skipped.
 */
export function statementKind(sqlText: string): string {
  let i = 0;
  let open = false;
  for (; i < sqlText.length; i++) {
    const c = sqlText.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    if (c === 40 && !open) {
      open = true;
      continue;
    }
    break;
  }
  let end = i;
  while (end < sqlText.length && end - i < 10 && isLetter(sqlText.charCodeAt(end))) end++;
  const word = sqlText.slice(i, end).toLowerCase();
  return STATEMENT_KINDS.has(word) ? word : 'other';
}

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
