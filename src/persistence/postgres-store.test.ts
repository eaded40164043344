import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { runMetadataStoreSuite } from '../metadata/metadata-store-suite.ts';
import { openPostgresStore } from './index.ts';
import { skipUnless, TEST_DATABASE_URL, postgresReachable } from '../../test/helpers/environment.ts';


import { storeSuiteSections } from './store-suite.ts';

runMetadataStoreSuite({
  sections: storeSuiteSections,
  name: 'PostgreSQL',
  skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`),
  async create() {
    const schema = `lazaret_suite_${randomBytes(6).toString('hex')}`;
    const store = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    return {
      store,
      async destroy() {
        await store.close();
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
          await client.query(`drop schema if exists "${schema}" cascade`);
        } finally {
          await client.end();
        }
      },
    };
  },
});
