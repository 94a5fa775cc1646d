import { DataSource } from 'typeorm';

import { eventually, TEST_POSTGRES_URL } from '@sm/testing';

import { LocationRunLock } from '../src/location-sync/location-run-lock.service';
import { useScratchRecords } from './support/scratch-records';

describe('the location run lock', () => {
  const scratch = useScratchRecords();
  let dataSource: DataSource;
  let runLock: LocationRunLock;

  beforeAll(() => {
    dataSource = scratch.dataSource;
    runLock = new LocationRunLock(dataSource);
  });

  it('holds one run per location, and the location again once released', async () => {
    const first = await runLock.tryHold('SMlockedLocation001');
    const second = await runLock.tryHold('SMlockedLocation001');
    const other = await runLock.tryHold('SMotherLocation0001');

    expect(first).not.toBeNull();
    expect(second).toBeNull();
    expect(other).not.toBeNull();
    await first?.release();
    await other?.release();
    const again = await runLock.tryHold('SMlockedLocation001');
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('is let go with the connection of a worker that died', async () => {
    const held = await runLock.tryHold('SMkilledHolder00001');
    // The holder's backend, as a killed worker's would end.
    const key = `hashtextextended('location-run:SMkilledHolder00001', 0)`;
    await dataSource.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted
         AND l.objid = (${key} & x'ffffffff'::bigint)::oid`,
    );

    const after = await eventuallyHeld('SMkilledHolder00001');

    expect(after).not.toBeNull();
    await after.release();
    await held?.release();
  });

  it('tells its run when the lock went with its connection, and only then', async () => {
    const held = await runLock.tryHold('SMlostHolder0000001');
    const beforeCut = held?.lost.aborted;
    const key = `hashtextextended('location-run:SMlostHolder0000001', 0)`;
    await dataSource.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted
         AND l.objid = (${key} & x'ffffffff'::bigint)::oid`,
    );

    await eventually(async () => (held?.lost.aborted ? true : undefined), 5_000, 'the lost lock');

    expect(beforeCut).toBe(false);
    await held?.release();
  });

  it('keeps its session from being ended as idle while the run goes on', async () => {
    // Sessions of this scratch database end after a second idle, as under idle_session_timeout.
    const [{ databaseName }] = await dataSource.query(
      'SELECT current_database() AS "databaseName"',
    );
    await dataSource.query(`ALTER DATABASE "${databaseName}" SET idle_session_timeout = '1s'`);
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${databaseName}`;
    const strict = await new DataSource({ type: 'postgres', url: url.toString() }).initialize();
    try {
      const held = await new LocationRunLock(strict, 300).tryHold('SMidleHolder0000001');
      await new Promise((resolve) => setTimeout(resolve, 3_000));

      expect(held?.lost.aborted).toBe(false);
      await held?.release();
    } finally {
      await dataSource.query(`ALTER DATABASE "${databaseName}" RESET idle_session_timeout`);
      await strict.destroy();
    }
  });

  async function eventuallyHeld(locationId: string) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const held = await runLock.tryHold(locationId);
      if (held) return held;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${locationId} stayed locked`);
  }
});
