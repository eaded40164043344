/**
 * What a test may need from the machine, and the rule for missing parts: on a developer's
 * machine a test may skip with a clear reason; under CI=true nothing may skip, so a missing
 * tool fails the test instead.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';

export const IN_CI = process.env.CI === 'true';

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns a skip reason (for `test(name, { skip })`) when `available` is false outside CI;
 * under CI=true returns false so the test runs and fails loudly on the missing part.
 */
export function skipUnless(available: boolean, reason: string): string | false {
  if (available || IN_CI) return false;
  return reason;
}

/** The PostgreSQL used by tests; each suite creates its own schema in it. */
export const TEST_DATABASE_URL = process.env.LAZARET_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the test PostgreSQL answers (for `skipUnless(await postgresReachable(), ...)`). */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a suite's schema (and everything in it) from the test PostgreSQL: a suite's clean-up. */
export async function dropTestSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
