import parseSpdxExpression from 'spdx-expression-parse';

/** Whether a declared license is a valid SPDX license expression (`MIT`, `Apache-2.0 OR MIT`). */
export function isSpdxExpression(value: string): boolean {
  try {
    parseSpdxExpression(value);
    return true;
  } catch {
    return false;
  }
}
