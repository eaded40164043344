/**
 * ACR scope maps: action strings `repositories/<pattern>/<content|metadata>/<verb>` and their
 * translation into token actions (ACR's API reference section 6). Scope maps grant repository
 * actions only: a repository-scoped token never lists the global catalog, never administers,
 * and never reads held content nor sets verdicts (ACR has no scope-map action for quarantine).
 * Lazaret adds one verb of its own, `quarantine/exception-write` (exceptions to findings,
 * docs/release-policy.md): a CI bot may file exceptions for its repositories without reading
 * anything held. No system scope map includes it.
 */
import type { RepositoryAction } from './actions.ts';
import { isValidPattern } from './patterns.ts';

export const SCOPE_MAP_VERBS = {
  'content/read': 'pull',
  'content/write': 'push',
  'content/delete': 'delete',
  'metadata/read': 'metadata_read',
  'metadata/write': 'metadata_write',
  'quarantine/exception-write': 'quarantine_exception_write',
} as const satisfies Record<string, RepositoryAction>;
export type ScopeMapVerb = keyof typeof SCOPE_MAP_VERBS;

export interface ScopeMapEntry {
  pattern: string;
  action: RepositoryAction;
}

const ACTION_RE = /^repositories\/(.+)\/(content\/read|content\/write|content\/delete|metadata\/read|metadata\/write|quarantine\/exception-write)$/;

/** Parses one scope-map action string; undefined when it is not valid. */
export function parseScopeMapAction(value: string): ScopeMapEntry | undefined {
  const m = ACTION_RE.exec(value);
  if (!m || !isValidPattern(m[1]!)) return undefined;
  return { pattern: m[1]!, action: SCOPE_MAP_VERBS[m[2] as ScopeMapVerb] };
}

/** The three system scope maps ACR creates in every registry; they cannot be changed or deleted. */
export const SYSTEM_SCOPE_MAPS: Record<string, { description: string; actions: string[] }> = {
  _repositories_admin: {
    description: 'Can perform all read, write and delete operations on the registry',
    actions: [
      'repositories/*/metadata/read',
      'repositories/*/metadata/write',
      'repositories/*/content/read',
      'repositories/*/content/write',
      'repositories/*/content/delete',
    ],
  },
  _repositories_pull: {
    description: 'Can pull any repository of the registry',
    actions: ['repositories/*/content/read'],
  },
  _repositories_push: {
    description: 'Can push to any repository of the registry',
    actions: ['repositories/*/content/read', 'repositories/*/content/write'],
  },
};

export const isSystemScopeMap = (name: string) => Object.hasOwn(SYSTEM_SCOPE_MAPS, name);
