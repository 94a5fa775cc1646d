import { DataSource, DataSourceOptions } from 'typeorm';

import { dataSourceOptions } from '@sm/entities';
import { createTestDatabase, TestDatabase } from '@sm/testing';

/** A migrated database of one spec file and a connection to it. */
export interface ScratchDatabase {
  url: string;
  dataSource: DataSource;
  /** Closes the connection, then drops the database (unless the caller brought its own). */
  drop(): Promise<void>;
}

export interface ScratchDatabaseOptions {
  /** A database the caller made (another Postgres, say): connected to, never dropped here. */
  database?: TestDatabase;
  /** Over the pg pool's settings, e.g. a short connect timeout for tests that stop Postgres. */
  extra?: DataSourceOptions['extra'];
}

export async function createScratchDatabase(
  options: ScratchDatabaseOptions = {},
): Promise<ScratchDatabase> {
  const database = options.database ?? (await createTestDatabase());
  const base = dataSourceOptions(database.url);
  const dataSource = await new DataSource({
    ...base,
    extra: { ...base.extra, ...options.extra },
  } as DataSourceOptions).initialize();

  return {
    url: database.url,
    dataSource,
    drop: async () => {
      await dataSource.destroy().catch(() => undefined);
      if (!options.database) await database.drop();
    },
  };
}

/**
 * Registers the spec file's beforeAll and afterAll: a scratch database before its tests, dropped
 * after them. The fields are set once beforeAll has run.
 */
export function useScratchDatabase(): ScratchDatabase {
  const scratch = {} as ScratchDatabase;

  beforeAll(async () => {
    Object.assign(scratch, await createScratchDatabase());
  });

  afterAll(() => scratch.drop?.());

  return scratch;
}
