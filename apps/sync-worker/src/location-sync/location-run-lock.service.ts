import type { EventEmitter } from 'node:events';

import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * How often the lock's connection says something: a session silent for the whole run was ended
 * by an `idle_session_timeout`, a DBA's reaper of idle sessions or a NAT's idle timer, and the
 * run lost its lock over and over.
 */
export const LOCK_KEEPALIVE_MS = 10_000;

const LOCK_KEEPALIVE = Symbol('LOCK_KEEPALIVE');

/** The run's lock went with its connection: the run stops, and its job is tried again. */
export class LocationLockLost extends Error {
  constructor() {
    super('the location run lock was lost with its connection');
    this.name = 'LocationLockLost';
  }
}

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
 * killed drops its connection, and Postgres lets the lock go with it. A worker whose host
 * vanished closes nothing: Postgres lets go once its TCP keepalive gives up on the connection
 * (set to a minute or so, `k8s/README.md`; two hours by the OS default).
 */
@Injectable()
export class LocationRunLock {
  /** `keepaliveMs` is LOCK_KEEPALIVE_MS but where a spec builds the lock itself. */
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(LOCK_KEEPALIVE) private readonly keepaliveMs = LOCK_KEEPALIVE_MS,
  ) {}

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
    const onLost = () => lost.abort(new LocationLockLost());
    // The connection the lock lives on (the query runner keeps it until released).
    const connection = (await runner.connect()) as EventEmitter;
    connection.on('error', onLost);
    connection.on('end', onLost);
    const keepalive = setInterval(() => {
      runner.query('SELECT 1').catch(onLost);
    }, this.keepaliveMs);
    keepalive.unref();

    return {
      lost: lost.signal,
      release: async () => {
        clearInterval(keepalive);
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
