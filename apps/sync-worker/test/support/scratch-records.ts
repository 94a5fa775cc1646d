import { DataSource } from 'typeorm';

import { RecordWriter } from '../../src/records/record-writer.service';
import { useScratchDatabase } from './scratch-database';

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
  const database = useScratchDatabase();
  const scratch = {} as ScratchRecords;

  beforeAll(() => {
    scratch.dataSource = database.dataSource;
    scratch.records = new RecordWriter(database.dataSource);
  });

  return scratch;
}
