/** JSON parsing that names the file and the line and column of a syntax error. */
import { FeedError } from '../records.ts';

export function lineColumnAt(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: position - last };
}

export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const lc = /line (\d+) column (\d+)/.exec(message);
    if (lc) throw new FeedError(file, `invalid JSON: ${message}`, Number(lc[1]), Number(lc[2]));
    const pos = /at position (\d+)/.exec(message);
    if (pos) {
      const { line, column } = lineColumnAt(text, Number(pos[1]));
      throw new FeedError(file, `invalid JSON: ${message}`, line, column);
    }
    // "Unexpected end of JSON input": the error is at the end.
    const { line, column } = lineColumnAt(text, text.length);
    throw new FeedError(file, `invalid JSON: ${message}`, line, column);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
