import { randomBytes } from 'node:crypto';

import { createDataSource, ensureDatabaseExists, runMigrations } from './data-source';

// The test kit depends on this lib, so this spec makes its own scratch database.
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function createTestDatabase() {
  const url = new URL(adminUrl);
  url.pathname = `/sm_schema_${randomBytes(4).toString('hex')}`;
  await ensureDatabaseExists(url.toString());
  await runMigrations(url.toString());
  const admin = createDataSource(adminUrl);

  return {
    url: url.toString(),
    drop: async () => {
      await admin.initialize();
      await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
      await admin.destroy();
    },
  };
}

describe('the migrations', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('build exactly the schema the entities describe (no migration is missing)', async () => {
    const dataSource = createDataSource(database.url);
    await dataSource.initialize();

    const pending = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();

    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('leave nothing pending after they ran', async () => {
    const dataSource = createDataSource(database.url);
    await dataSource.initialize();

    const hasPending = await dataSource.showMigrations();
    await dataSource.destroy();

    expect(hasPending).toBe(false);
  });
});
