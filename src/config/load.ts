/**
 * Reads the configuration: defaults, then a file, then LAZARET_* environment variables (names
 * derived from the schema, env.ts), then programmatic overrides (tests, CLI flags).
 * Every problem names the field and where its value came from:
 *   `auth.mode: must be one of token, none (got "basic"; from env LAZARET_AUTH_MODE)`.
 */
import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { configFields, fromEnv } from './env.ts';
import { configRules, configSchema, type LazaretConfig } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Where each value given came from, by dotted path (`file c.yaml`, `env LAZARET_LISTEN`). */
type Sources = Map<string, string>;

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function recordSources(value: unknown, prefix: string, source: string, into: Sources) {
  if (prefix) into.set(prefix, source);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) recordSources(v, prefix ? `${prefix}.${k}` : k, source, into);
  }
}

export function readConfigFile(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`${file}: the top level must be a mapping`]);
  return parsed as Record<string, unknown>;
}

/** The source of the value at `path`: its own, its nearest parent's, or those of the values under it. */
function sourceOf(path: string, sources: Sources): string | undefined {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const own = sources.get(p);
    if (own) return own;
  }
  const below = new Set([...sources].filter(([p]) => p.startsWith(`${path}.`)).map(([, s]) => s));
  return below.size ? [...below].join(', ') : undefined;
}

/** The schema node at a dotted path (for a field's own error wording). */
function schemaAt(path: string[]): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = configSchema as unknown as Record<string, unknown>;
  for (const key of path) {
    if (!node) return undefined;
    if (node.type === 'array') node = node.items as Record<string, unknown>;
    else node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[key];
  }
  return node;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

type SchemaError = ReturnType<typeof Value.Errors>[number];

function wording(error: SchemaError, schema: Record<string, unknown> | undefined): string | undefined {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return undefined; // reported once per key, below (the `false` schema of the key)
    case 'boolean':
      return 'not a configuration key';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern':
    case 'format':
      return (schema?.errorMessage as string | undefined) ?? error.message;
    case 'required':
      return `missing ${(params.requiredProperties as string[]).join(', ')}`;
    case 'type':
      return `must be ${schema?.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(String(schema?.type)) ? 'n' : ''} ${String(schema?.type)}`}`;
    default:
      return error.message;
  }
}

function problemsOf(raw: unknown, sources: Sources): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(configSchema, raw)) {
    const keys = error.instancePath.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const path = keys.join('.');
    const text = wording(error, schemaAt(keys));
    if (text === undefined || seen.has(path)) continue;
    seen.add(path);
    let value: unknown = raw;
    for (const k of keys) value = (value as Record<string, unknown> | undefined)?.[k];
    const from = sourceOf(path, sources);
    const got = error.keyword === 'required' || typeof value === 'object' ? '' : `got ${show(value)}`;
    const context = [got, from ? `from ${from}` : ''].filter(Boolean).join('; ');
    problems.push(`${path || '(root)'}: ${text}${context ? ` (${context})` : ''}`);
  }
  return problems;
}

function validate(raw: Record<string, unknown>, sources: Sources): LazaretConfig {
  const withDefaults = Value.Default(configSchema, structuredClone(raw));
  let problems = problemsOf(withDefaults, sources);
  if (problems.length === 0) {
    const config = withDefaults as LazaretConfig;
    problems = configRules
      .filter((rule) => !rule.holds(config))
      .map((rule) => {
        const from = [...new Set((rule.causes ?? [rule.path]).map((p) => sourceOf(p, sources)).filter(Boolean))].join(', ');
        return `${rule.path}: ${rule.message}${from ? ` (from ${from})` : ''}`;
      });
    if (problems.length === 0) return config;
  }
  throw new ConfigError(problems);
}

/** Validates a raw object (a file's contents); throws ConfigError with one line per problem. */
export function validateConfig(raw: unknown, source = 'file'): LazaretConfig {
  const sources: Sources = new Map();
  recordSources(raw, '', source, sources);
  return validate((raw ?? {}) as Record<string, unknown>, sources);
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): LazaretConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.LAZARET_CONFIG;
  const sources: Sources = new Map();
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  if (file) recordSources(raw, '', `file ${file}`, sources);
  for (const field of configFields()) {
    // The derived name wins over an alias when both are set.
    const name = field.envNames.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) continue;
    setPath(raw, field.path, fromEnv(field, env[name]!));
    sources.set(field.path, `env ${name}`);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    setPath(raw, path, value);
    recordSources(value, path, 'overrides', sources);
  }
  return validate(raw, sources);
}
