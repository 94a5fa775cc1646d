import type { EventEmitter } from 'node:events';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A location's run, held until released. */
export interface HeldRun {
  /**
   * Aborts when the lock's connection is lost (terminated, timed out, the network gone), and
   * with it the lock: another replica may take the location from then on, so the run must stop.
   */
  lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * One location sync or task sweep per location at a time, across every replica. The lock is a
 * Postgres session advisory lock on a connection of its own, held for the run: a worker that is
 * killed drops its connection, and Postgres lets the lock go with it, so no crash leaves a
 * location locked.
 */
@Injectable()
export class LocationRunLock {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The location's run, or null when another run of it holds the lock. */
  async tryHold(locationId: string): Promise<HeldRun | null> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const [{ held }]: { held: boolean }[] = await runner.query(
        `SELECT pg_try_advisory_lock(hashtextextended('location-run:' || $1, 0)) AS held`,
        [locationId],
      );
      if (!held) {
        await runner.release();

        return null;
      }
    } catch (error) {
      await runner.release();
      throw error;
    }
    const lost = new AbortController();
    const onLost = () =>
      lost.abort(new Error('the location run lock was lost with its connection'));
    // The connection the lock lives on (the query runner keeps it until released).
    const connection = (await runner.connect()) as EventEmitter;
    connection.on('error', onLost);
    connection.on('end', onLost);

    return {
      lost: lost.signal,
      release: async () => {
        connection.off('error', onLost);
        connection.off('end', onLost);
        // A connection lost meanwhile took the lock with it; there is nothing left to free.
        await runner
          .query(`SELECT pg_advisory_unlock(hashtextextended('location-run:' || $1, 0))`, [
            locationId,
          ])
          .catch(() => undefined);
        await runner.release().catch(() => undefined);
      },
    };
  }
}
