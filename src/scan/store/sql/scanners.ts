/** ScannerStore (../../scanner-store.ts) on Kysely, both dialects. */
import type { Kysely } from 'kysely';
import type { ScanDatabase } from '../tables.ts';
import type { ScannersTable } from '../tables.ts';
import type { ScannerAuthKind, ScannerHealth, ScannerRecord, ScannerStore } from '../../scanner-store.ts';

function toRecord(r: ScannersTable): ScannerRecord {
  const out: ScannerRecord = {
    name: r.name,
    url: r.url,
    authKind: r.auth_kind as ScannerAuthKind,
    patterns: JSON.parse(r.patterns) as string[],
    isDefault: Number(r.is_default) === 1,
    enabled: Number(r.enabled) === 1,
    health: r.health as ScannerHealth,
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
  if (r.auth_secret !== null) out.authSecret = r.auth_secret;
  if (r.health_message !== null) out.healthMessage = r.health_message;
  if (r.checked_at !== null) out.checkedAt = new Date(Number(r.checked_at));
  if (r.unreachable_since !== null) out.unreachableSince = new Date(Number(r.unreachable_since));
  if (r.metadata !== null) out.metadata = JSON.parse(r.metadata);
  if (r.db_updated_at !== null) out.dbUpdatedAt = new Date(Number(r.db_updated_at));
  return out;
}

export function createScannerStore(db: Kysely<ScanDatabase>): ScannerStore {
  const get = async (name: string) => {
    const row = await db.selectFrom('scanners').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRecord(row);
  };
  const clearDefault = (except: string) => db.updateTable('scanners').set({ is_default: 0 }).where('name', '!=', except).where('is_default', '=', 1).execute();

  return {
    get,
    async create(name, input) {
      const now = Date.now();
      const result = await db
        .insertInto('scanners')
        .values({
          name,
          url: input.url,
          auth_kind: input.authKind,
          auth_secret: input.authSecret ?? null,
          patterns: JSON.stringify(input.patterns),
          is_default: input.isDefault ? 1 : 0,
          enabled: input.enabled ? 1 : 0,
          health: 'unknown',
          health_message: null,
          checked_at: null,
          unreachable_since: null,
          metadata: null,
          db_updated_at: null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
      if (input.isDefault) await clearDefault(name);
      return get(name);
    },
    async list() {
      return (await db.selectFrom('scanners').selectAll().orderBy('name').execute()).map(toRecord);
    },
    async update(name, patch) {
      const set: Partial<ScannersTable> = { updated_at: Date.now() };
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.authKind !== undefined) {
        set.auth_kind = patch.authKind;
        set.auth_secret = patch.authSecret ?? null;
      } else if (patch.authSecret !== undefined) set.auth_secret = patch.authSecret;
      if (patch.patterns !== undefined) set.patterns = JSON.stringify(patch.patterns);
      if (patch.isDefault !== undefined) set.is_default = patch.isDefault ? 1 : 0;
      if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
      const result = await db.updateTable('scanners').set(set).where('name', '=', name).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      if (patch.isDefault) await clearDefault(name);
      return get(name);
    },
    async delete(name) {
      const result = await db.deleteFrom('scanners').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async setHealth(name, report) {
      const current = await get(name);
      if (!current) return undefined;
      const at = report.at.getTime();
      const set: Partial<ScannersTable> = {
        health: report.health,
        health_message: report.message ?? null,
        checked_at: at,
        unreachable_since: report.health === 'unreachable' ? (current.unreachableSince?.getTime() ?? at) : null,
      };
      if (report.metadata !== undefined) set.metadata = JSON.stringify(report.metadata);
      if (report.dbUpdatedAt !== undefined) set.db_updated_at = report.dbUpdatedAt.getTime();
      await db.updateTable('scanners').set(set).where('name', '=', name).execute();
      return get(name);
    },
  };
}
