/** The import-boundary check (scripts/check-boundaries.mjs) reports each kind of breach, and the tree has none. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
// @ts-expect-error: a plain .mjs script without type declarations
import { checkBoundaries } from '../scripts/check-boundaries.mjs';

const check = (files: Record<string, string>, withIndex: string[] = []): string[] => checkBoundaries(new Map(Object.entries(files)), (dir: string) => withIndex.includes(dir));

test('handlers may not import metadata or a module\'s SQL, nor call the content roles', () => {
  const breaches = check({
    'src/distribution/manifests.ts': "import { createTagStore } from '../metadata/sql/tags.ts';\nconst t = await store.tags.get(repo, tag);",
    'src/acr-api/x.ts': "import type { VerdictStore } from '../quarantine/store/index.ts';",
    'src/scan/foo-routes.ts': "import { createVerdictStore } from '../quarantine/store/sql/verdicts.ts';",
    'src/management-api/ok.ts': "import { registryError } from '../errors/registry-error.ts';\nawait services.registry.as(access).listTags(repo);",
  });
  assert.deepEqual(breaches.map((b) => b.split(':')[0]).sort(), ['src/acr-api/x.ts', 'src/distribution/manifests.ts', 'src/distribution/manifests.ts', 'src/scan/foo-routes.ts']);
  assert.ok(breaches.some((b) => /manifests\.ts: calls a content role/.test(b)));
});

test('a module with an index.ts is entered through it (its store through store/index.ts or store/suite.ts)', () => {
  const breaches = check(
    {
      'src/backup/a.ts': "import { withDatabase } from '../persistence/schema-admin.ts';\nimport { KNOWN_MIGRATIONS } from '../persistence/index.ts';",
      'src/persistence/b.ts': "import type { EventsTables } from '../events/store/tables.ts';\nimport { eventsSuite } from '../events/store/suite.ts';\nimport { eventsStore } from '../events/store/index.ts';",
      'src/oci/c.ts': "import { parse } from '../events/webhook.ts';",
      'src/backup/a.test.ts': "import { x } from '../persistence/schema-admin.ts';",
    },
    ['src/persistence', 'src/events/store'],
  );
  assert.deepEqual(breaches, [
    'src/backup/a.ts: imports src/persistence/schema-admin.ts: enter src/persistence/ through its index.ts',
    'src/persistence/b.ts: imports src/events/store/tables.ts: enter src/events/store/ through its index.ts',
  ]);
});

test('only the registry service (and quarantine, the composition root, the metrics wrapper) imports the gate', () => {
  const breaches = check({
    'src/lifecycle/retention/run.ts': "import type { Gate } from '../../quarantine/gate.ts';",
    'src/registry/context.ts': "import type { Gate } from '../quarantine/gate.ts';",
    'src/observability/observed-gate.ts': "import type { Gate } from '../quarantine/gate.ts';",
    'src/services.ts': "import { createGate } from './quarantine/gate.ts';",
    'src/scan/x.test.ts': "import type { Gate } from '../quarantine/gate.ts';",
  });
  assert.deepEqual(breaches, ['src/lifecycle/retention/run.ts: imports the gate: content readers ask the registry service, which applies it']);
});

test('the repository passes the check', () => {
  const r = spawnSync(process.execPath, ['scripts/check-boundaries.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
