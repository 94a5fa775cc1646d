import { randomBytes } from 'node:crypto';

import { DataSource } from 'typeorm';

import { createDataSource, ensureDatabaseExists, runMigrations } from '../src/data-source';

// The test kit (@sm/testing) depends on this lib, so this lib's specs make their own database.
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A migrated scratch database for the spec that calls it, made before its tests and dropped
 * after them. The data source is there once `beforeAll` has run.
 */
export function useScratchDatabase(label: string): { readonly db: DataSource } {
  const scratch = {} as { db: DataSource };
  const url = new URL(adminUrl);
  url.pathname = `/sm_${label}_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await ensureDatabaseExists(url.toString());
    await runMigrations(url.toString());
    scratch.db = await createDataSource(url.toString()).initialize();
  });

  afterAll(async () => {
    await scratch.db?.destroy();
    const admin = await createDataSource(adminUrl).initialize();
    await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
    await admin.destroy();
  });

  return scratch;
}

/** Undoes the named migration, and first those that came after it. */
export async function undoThroughMigration(db: DataSource, migration: string): Promise<void> {
  for (;;) {
    const [last]: { name: string }[] = await db.query(
      'SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1',
    );
    await db.undoLastMigration({ transaction: 'each' });
    if (last.name === migration) return;
  }
}
