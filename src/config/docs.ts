/**
 * Renders docs/configuration.md from the schema (`npm run docs:config` writes it; a test
 * fails when the committed file differs from what this renders).
 */
import { configFields, type ConfigField } from './env.ts';
import { configRules, configSchema } from './schema.ts';

function typeOf(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return (schema.enum as string[]).map((v) => `\`${v}\``).join(' | ');
  if (schema.type === 'array') return 'list of CIDRs';
  if (schema.format === 'url') return 'URL';
  const range = [schema.minimum !== undefined ? `≥ ${schema.minimum}` : '', schema.maximum !== undefined ? `≤ ${schema.maximum}` : ''].filter(Boolean).join(', ');
  return `${String(schema.type)}${range ? ` (${range})` : ''}`;
}

function defaultOf(field: ConfigField): string {
  const d = field.schema.default;
  if (d === undefined) return field.required ? 'required' : 'unset';
  if (Array.isArray(d) && d.length === 0) return 'empty';
  return `\`${typeof d === 'string' ? (d === '' ? '""' : d) : JSON.stringify(d)}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderConfigDocs(): string {
  const sections = new Map<string, ConfigField[]>();
  for (const field of configFields()) {
    const top = field.path.includes('.') ? field.path.split('.').slice(0, -1).join('.') : '';
    sections.set(top, [...(sections.get(top) ?? []), field]);
  }
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`; do not edit by hand (a test fails when it is stale). -->',
    '',
    'Lazaret reads its configuration from three sources; a later one wins per field:',
    '',
    '1. the defaults below;',
    '2. a configuration file, YAML or JSON (`lazaret serve --config FILE`, or the file named by `LAZARET_CONFIG`), whose keys are the paths below as nested mappings;',
    '3. environment variables: every field has one, derived from its path (`storage.s3.bucket` is `LAZARET_STORAGE_S3_BUCKET`: each segment in upper snake case, joined by `_`). Some fields also accept an older name, listed second. Numbers are parsed, booleans are `true`/`false`/`1`/`0`, lists are comma-separated. An empty variable counts as unset.',
    '',
    'Unknown keys in the file are refused. Every problem names the field and where the value came from, e.g. `auth.mode: must be one of token, none (got "basic"; from env LAZARET_AUTH_MODE)`. `lazaret config check FILE` validates a file without starting the server (`--print` shows the effective configuration, secrets masked).',
    '',
  ];
  const root = configSchema.properties as Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
  for (const [prefix, fields] of sections) {
    const node = prefix.split('.').reduce<{ description?: string; properties?: Record<string, unknown> } | undefined>((n, k) => (n?.properties as Record<string, never> | undefined)?.[k], { properties: root });
    lines.push(`## ${prefix ? `\`${prefix}\`` : 'Top level'}`, '');
    if (prefix && node?.description) lines.push(node.description, '');
    lines.push('| Key | Environment | Type | Default | Description |', '|---|---|---|---|---|');
    for (const f of fields) {
      const key = f.path.slice(prefix ? prefix.length + 1 : 0);
      const secret = f.schema.secret ? ' Secret: masked by `config check --print`.' : '';
      lines.push(`| \`${key}\` | ${f.envNames.map((n) => `\`${n}\``).join('<br>')} | ${cell(typeOf(f.schema))} | ${cell(defaultOf(f))} | ${cell(String(f.schema.description ?? ''))}${secret} |`);
    }
    lines.push('');
  }
  lines.push('## Checks across fields', '', ...configRules.map((rule) => `- \`${rule.path}\`: ${rule.message}.`), '');
  return lines.join('\n');
}
