import { DataSource } from 'typeorm';

import { dataSourceOptions } from '@sm/entities';
import { createTestDatabase, TestDatabase } from '@sm/testing';

import { RecordWriter } from '../../src/records/record-writer.service';

/** A migrated scratch database and the record writer on it, for one spec file. */
export interface ScratchRecords {
  dataSource: DataSource;
  records: RecordWriter;
}

/**
 * Registers the spec file's beforeAll and afterAll: a fresh database before its tests, dropped
 * after them. The fields are set once beforeAll has run.
 */
export function useScratchRecords(): ScratchRecords {
  const scratch = {} as ScratchRecords;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    scratch.dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    scratch.records = new RecordWriter(scratch.dataSource);
  });

  afterAll(async () => {
    await scratch.dataSource?.destroy();
    await database?.drop();
  });

  return scratch;
}
