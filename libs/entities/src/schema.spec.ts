import { createDataSource } from './data-source';
import { createTestDatabase, TestDatabase } from '@sm/testing';

describe('the migrations', () => {
  let database: TestDatabase;

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
