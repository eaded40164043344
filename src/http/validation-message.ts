/**
 * One readable sentence from a schema validation failure. Ajv reports a value outside a union
 * of literals (a misspelled role: `AcrPul`) as one "must be equal to constant" per literal
 * plus an anyOf error; a user needs the allowed values, once. So errors are grouped by the
 * value they are about: a group of `const`/`enum` failures becomes "must be one of: A, B, C",
 * and repeated sentences are said once.
 */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

export function validationMessage(context: string | undefined, issues: readonly ValidationIssue[]): string {
  const where = (path: string) => `${context ?? 'request'}${path}`;
  const byPath = new Map<string, ValidationIssue[]>();
  for (const issue of issues) byPath.set(issue.instancePath, [...(byPath.get(issue.instancePath) ?? []), issue]);
  const sentences: string[] = [];
  for (const [path, group] of byPath) {
    const allowed = group.flatMap((i) =>
      i.keyword === 'const' ? [i.params?.allowedValue] : i.keyword === 'enum' ? ((i.params?.allowedValues as unknown[]) ?? []) : [],
    );
    const onlyChoices = group.every((i) => i.keyword === 'const' || i.keyword === 'enum' || i.keyword === 'anyOf');
    if (allowed.length > 0 && onlyChoices) {
      sentences.push(`${where(path)} must be one of: ${[...new Set(allowed.map(String))].join(', ')}`);
      continue;
    }
    for (const i of group) if (i.keyword !== 'anyOf' || group.length === 1) sentences.push(`${where(path)} ${i.message ?? 'is invalid'}`);
  }
  return [...new Set(sentences)].join('; ');
}
