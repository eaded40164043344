/**
 * THE counting rule of a repository's usage (docs/storage-lifecycle.md "Quotas"), as one SQL
 * expression: the bytes of its blob links (one row per distinct blob of the repository) plus the
 * bytes of its manifests that are not also linked as a blob. The recount (quota-sql.ts) and the
 * backfill of 013-repository-usage both use it; the triggers of that migration keep the running
 * total equal to it, and the store suite checks after every kind of change that they do.
 */
import { sql, type Expression, type RawBuilder } from 'kysely';

/** The usage of the repository named by `repository` (a column reference or a value). */
export function countedUsage(repository: Expression<string>): RawBuilder<number> {
  return sql<number>`(coalesce((select sum(l.size) from blob_links l where l.repository = ${repository}), 0)
    + coalesce((select sum(m.size) from manifests m where m.repository = ${repository}
        and not exists (select 1 from blob_links x where x.repository = m.repository and x.digest = m.digest)), 0))`;
}
