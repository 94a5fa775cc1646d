import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A location's run, held until released. */
export interface HeldRun {
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

    return {
      release: async () => {
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
