/** SettingsStore on SQL (contract: ../metadata-store.ts). Values are stored as JSON text. */
import type { SettingsStore } from '../metadata-store.ts';
import type { Db } from './common.ts';

export function createSettingsStore(db: Db): SettingsStore {
  return {
    async get<T>(key: string) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row ? (JSON.parse(row.value) as T) : undefined;
    },

    async set(key, value) {
      // undefined has no JSON form; storing it as null would read back as null, not undefined.
      const text = JSON.stringify(value ?? null);
      const now = Date.now();
      await db
        .insertInto('settings')
        .values({ key, value: text, updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: now }))
        .execute();
    },
  };
}
