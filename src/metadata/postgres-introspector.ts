/**
 * Kysely's PostgreSQL introspector, narrowed to the connection's own schema.
 *
 * Why: Kysely's migrator asks "does kysely_migration exist?" by listing every table of every
 * schema, and its stock query resolves each table BY NAME (pg_get_serial_sequence). When
 * another schema of the same database is dropped while that query runs (another deployment's
 * clean-up, or a test suite's), PostgreSQL fails it with 42P01 "relation does not exist" and
 * our migration, and so the start, fails for someone else's DDL. Listing only
 * current_schema() by OID cannot see another schema's drop, and stays cheap in a database
 * with many schemas. Lazaret's code reads only names from here (no column details are used).
 */
import { sql, type DatabaseIntrospector, type DatabaseMetadata, type DatabaseMetadataOptions, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

export class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema'`.execute(this.db);
    return rows.map((r) => ({ name: r.name }));
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const { rows } = await sql<{ schema: string; table: string; kind: string; column: string | null; type: string | null; type_schema: string | null; not_null: boolean | null; has_default: boolean | null }>`
      select ns.nspname as schema, c.relname as table, c.relkind as kind,
             a.attname as column, typ.typname as type, tns.nspname as type_schema,
             a.attnotnull as not_null, a.atthasdef as has_default
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
        left join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_catalog.pg_type typ on typ.oid = a.atttypid
        left join pg_catalog.pg_namespace tns on tns.oid = typ.typnamespace
       where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
       order by c.relname, a.attnum`.execute(this.db);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const r of rows) {
      if (!options.withInternalKyselyTables && (r.table === 'kysely_migration' || r.table === 'kysely_migration_lock')) continue;
      let table = tables.get(r.table);
      if (!table) {
        table = { name: r.table, schema: r.schema, isView: r.kind === 'v', columns: [] };
        tables.set(r.table, table);
      }
      if (r.column !== null) {
        table.columns.push({
          name: r.column,
          dataType: r.type ?? '',
          ...(r.type_schema ? { dataTypeSchema: r.type_schema } : {}),
          isNullable: !r.not_null,
          hasDefaultValue: !!r.has_default,
          // Not resolved: that is the by-name lookup this class exists to avoid.
          isAutoIncrementing: false,
        });
      }
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}
