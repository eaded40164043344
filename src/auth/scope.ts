/**
 * Docker token scopes: `<type>:<name>:<actions>` (`repository:team/app:pull,push`,
 * `registry:catalog:*`). A resource type may carry a class (`repository(plugin)`), which is
 * ignored. Several scopes arrive as repeated `scope` parameters and/or space-separated in one.
 */
export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/** Parses one scope; undefined when malformed (the token service ignores those, as distribution does). */
export function parseScope(value: string): Scope | undefined {
  const first = value.indexOf(':');
  const last = value.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = value.slice(0, first).replace(/\(.*\)$/, '');
  const name = value.slice(first + 1, last);
  const actions = value.slice(last + 1).split(',').map((a) => a.trim()).filter(Boolean);
  if (!name || actions.length === 0 || !/^[a-z-]+$/.test(type)) return undefined;
  return { type, name, actions };
}

/** Every scope in a query/form value (string, repeated strings, or absent). */
export function parseScopes(value: unknown): Scope[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const out: Scope[] = [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    for (const part of v.split(' ')) {
      const s = part && parseScope(part);
      if (s) out.push(s);
    }
  }
  return out;
}

export const formatScope = (s: Scope) => `${s.type}:${s.name}:${s.actions.join(',')}`;
