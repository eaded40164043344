
import { randomBytes } from 'node:crypto';
import { runMetadataStoreSuite } from '../metadata/metadata-store-suite.ts';
import { openPostgresStore } from './index.ts';
import { skipUnless, TEST_DATABASE_URL, postgresReachable, dropTestSchema } from '../../test/helpers/environment.ts';


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
        await dropTestSchema(schema);
      },
    };
  },
});
