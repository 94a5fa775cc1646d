import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

import { LocationUnavailableError, UnavailableReason } from '../tokens/location-unavailable.error';

/** What a job may do for a location right now. */
export type LocationStanding =
  | { kind: 'active'; connection: Connection }
  /** Not installed (or uninstalled): the job has nothing to do. */
  | { kind: 'gone' }
  /** Waiting for a person or for GHL: put the job off until `until`. */
  | { kind: 'paused'; until: number; reason: UnavailableReason };

/**
 * Decides whether a location may be synced. A location whose token needs re-auth is paused for
 * a while in this process, so its jobs wait instead of asking the auth service again and again.
 */
@Injectable()
export class LocationGate {
  private readonly logger = new Logger(LocationGate.name);
  private readonly pausedUntil = new Map<string, { until: number; reason: UnavailableReason }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pauseMs: number,
  ) {}

  async standing(locationId: string): Promise<LocationStanding> {
    const pause = this.pausedUntil.get(locationId);
    if (pause && pause.until > Date.now()) return { kind: 'paused', ...pause };
    this.pausedUntil.delete(locationId);

    const connection = await this.dataSource.getRepository(Connection).findOneBy({ locationId });
    if (!connection || connection.status === ConnectionStatus.Uninstalled) return { kind: 'gone' };
    if (connection.status === ConnectionStatus.Active) return { kind: 'active', connection };

    return { kind: 'paused', until: Date.now() + this.pauseMs, reason: connection.status };
  }

  /** Records that the auth service refused a token; returns the standing jobs should take. */
  pause(error: LocationUnavailableError): LocationStanding {
    if (error.reason === 'not_connected') return { kind: 'gone' };

    const until = Date.now() + this.pauseMs;
    this.pausedUntil.set(error.locationId, { until, reason: error.reason });
    this.logger.warn(
      { locationId: error.locationId, reason: error.reason },
      'location paused: its jobs wait',
    );

    return { kind: 'paused', until, reason: error.reason };
  }

  /** Lifts a pause early (an operator replayed a job, or the connection came back). */
  resume(locationId: string): void {
    this.pausedUntil.delete(locationId);
  }
}
