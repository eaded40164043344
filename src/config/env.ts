/**
 * Environment variable names, derived from the schema's paths: `storage.s3.bucket` is
 * LAZARET_STORAGE_S3_BUCKET (each camelCase segment in upper snake case, joined by `_`). Every
 * leaf of the schema has its derived name; a field's `envAliases` add the older names that
 * stay accepted. No table is kept by hand.
 *
 * Values are converted by the field's type: integers and numbers parsed (anything not a number
 * is kept as text so validation names the field and the variable), booleans from
 * true/false/1/0, lists comma-separated.
 */
import type { TSchema } from 'typebox';
import { configSchema } from './schema.ts';

export interface ConfigField {
  /** Dotted path, e.g. `storage.s3.bucket`. */
  path: string;
  schema: TSchema & Record<string, unknown>;
  /** The derived name first, then the aliases. */
  envNames: string[];
  /** Whether the field must be present when its parent is (optional fields have defaults or may be unset). */
  required: boolean;
}

const snake = (segment: string) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

export function envNameOf(path: string): string {
  return `LAZARET_${path.split('.').map(snake).join('_')}`;
}

function isObject(schema: Record<string, unknown>): schema is Record<string, unknown> & { properties: Record<string, TSchema> } {
  return schema.type === 'object' && typeof schema.properties === 'object';
}

/** Every leaf of the schema, in declaration order. */
export function configFields(root: TSchema = configSchema): ConfigField[] {
  const out: ConfigField[] = [];
  const walk = (schema: Record<string, unknown>, prefix: string[]) => {
    const properties = (schema as { properties: Record<string, TSchema & Record<string, unknown>> }).properties;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [key, child] of Object.entries(properties)) {
      const path = [...prefix, key];
      if (isObject(child)) walk(child, path);
      else {
        const aliases = (child.envAliases as string[] | undefined) ?? [];
        out.push({ path: path.join('.'), schema: child, envNames: [envNameOf(path.join('.')), ...aliases], required: required.has(key) && child.default === undefined });
      }
    }
  };
  walk(root as Record<string, unknown>, []);
  return out;
}

/** Converts an environment string to the field's type (left as text when it does not convert). */
export function fromEnv(field: ConfigField, text: string): unknown {
  const type = field.schema.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
  if (type === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    return text;
  }
  if (type === 'array') return text.split(',').map((x) => x.trim()).filter(Boolean);
  return text;
}
