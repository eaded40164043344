/**
 * The MetadataStore conformance suite (architecture.md, "One conformance suite per seam").
 * Every backend runs it: `runMetadataStoreSuite({ name, create })`; both SQL dialects pass
 * the same sections (suite/index.ts, one per role object). A module adding a role object adds
 * its section to suite/index.ts, or passes `extraSections` while it is being developed.
 */
import { after, before, describe } from 'node:test';
import type { MetadataStore } from './metadata-store.ts';
import { createNames, type MetadataStoreFixture, type MetadataSuiteContext, type MetadataSuiteSection } from './suite/context.ts';
import { sections } from './suite/index.ts';

export type { MetadataStoreFixture, MetadataSuiteContext, MetadataSuiteSection };

export interface MetadataStoreSuiteOptions {
  name: string;
  /** A fresh, migrated, empty store; called once per run. */
  create(): Promise<MetadataStoreFixture>;
  /** Sections run after the registered ones. */
  extraSections?: MetadataSuiteSection[];
  /** A reason to skip the whole run (e.g. PostgreSQL unreachable outside CI), or false. */
  skip?: string | false;
}

export function runMetadataStoreSuite(options: MetadataStoreSuiteOptions): void {
  describe(`MetadataStore conformance: ${options.name}`, { skip: options.skip }, () => {
    let fixture: MetadataStoreFixture | undefined;
    before(async () => {
      fixture = await options.create();
    });
    after(async () => {
      await fixture?.destroy();
    });
    const names = createNames();
    const ctx: MetadataSuiteContext = {
      store(): MetadataStore {
        if (!fixture) throw new Error('the store is not open (create() failed or the suite has ended)');
        return fixture.store;
      },
      repo: names.repo,
      unique: names.unique,
    };
    for (const section of [...sections, ...(options.extraSections ?? [])]) section(ctx);
  });
}
