import { randomBytes } from 'node:crypto';

import { DataSource } from 'typeorm';

import { runMigrations } from '@sm/entities';

export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh Postgres database with every migration applied, so that test files never share rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sm_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL });
  await admin.initialize();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.destroy();

  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());

  return {
    url: url.toString(),
    drop: async () => {
      const cleaner = new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL });
      await cleaner.initialize();
      await cleaner.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleaner.destroy();
    },
  };
}

/**
 * A BullMQ key prefix of its own per test file: queues of parallel tests never meet. It carries
 * the jest run's name, by which the run's teardown removes its keys from the shared Redis.
 */
export function uniqueQueuePrefix(label = 't'): string {
  const run = process.env.SM_TEST_RUN ?? 'adhoc';

  return `${label}-${run}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
