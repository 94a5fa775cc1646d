import {
  BadGatewayException,
  ConflictException,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { GhlApi, isGhlApiError } from '@sm/ghl-client';
import { JobPriority } from '@sm/queues';

import { GHL_API } from '../ghl/ghl-api.token';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { contactRow } from '../records/record-mappers';
import { LocationUnavailableError } from '../tokens/location-unavailable.error';
import { HealthScore } from './health-score.calculator';
import { HealthScoreService } from './health-score.service';
import { HealthScoreRefreshThrottle } from './health-score-refresh-throttle.service';

/**
 * A refresh asked for again within the contact's window: 429, with when to come back. The slot
 * is spent by the asking, answered or not: a refresh GHL failed spent a call of the location's
 * budget too, and retried at will it would hammer GHL through its outage.
 */
export class RefreshTooSoonException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message:
          'a refresh of this contact was asked for moments ago; retry after retryAfterSeconds',
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * The on-demand refresh: the contact read live from GHL (`GET /contacts/:contactId`), scored with
 * its stored tasks, notes and appointments. The records themselves are left to the sync engine,
 * which owns every write to them; the next sync of the contact brings them level. A contact GHL
 * answers 404 for is handed to it at once, as a contact sync, which tombstones it (the nightly
 * run would, hours later, while the read API went on serving the contact as live).
 */
@Injectable()
export class HealthScoreRefresh implements OnModuleInit {
  private readonly logger = new Logger(HealthScoreRefresh.name);
  private ghl!: GhlApi;
  private enqueuer!: JobEnqueuer;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly scores: HealthScoreService,
    private readonly throttle: HealthScoreRefreshThrottle,
  ) {}

  onModuleInit(): void {
    // The GHL client belongs to the app module (one per process, one rate governor).
    this.ghl = this.moduleRef.get<GhlApi>(GHL_API, { strict: false });
    this.enqueuer = this.moduleRef.get(JobEnqueuer, { strict: false });
  }

  /** The caller has checked that SolarMarket holds the contact: GHL is asked for no other. */
  async refresh(locationId: string, contactId: string): Promise<HealthScore> {
    const retryAfterSeconds = await this.takeSlot(locationId, contactId);
    if (retryAfterSeconds > 0) throw new RefreshTooSoonException(retryAfterSeconds);

    const live = await this.fetchContact(locationId, contactId);
    const row = contactRow(live, { locationId, fetchedAt: new Date(), timeZone: 'UTC' });
    const contact = {
      email: row.email as string | null,
      phone: row.phone as string | null,
      dnd: row.dnd as boolean,
      tags: row.tags as string[],
    };

    const score = await this.scores.scoreWithContact(locationId, contactId, contact, 'refresh');
    // Tombstoned while GHL was asked: no longer a contact SolarMarket holds.
    if (!score) throw new NotFoundException('no such contact');

    return score;
  }

  /** The contact's refresh slot; without Redis there is no shared budget to spend from: 503. */
  private async takeSlot(locationId: string, contactId: string): Promise<number> {
    try {
      return await this.throttle.take(locationId, contactId);
    } catch (error) {
      this.logger.warn(
        { locationId, contactId, err: (error as Error).message },
        'health score refresh refused: redis unavailable',
      );
      throw new ServiceUnavailableException('the refresh budget cannot be checked; retry later');
    }
  }

  private async fetchContact(locationId: string, contactId: string) {
    try {
      return await this.ghl.forLocation(locationId, { priority: 'realtime' }).getContact(contactId);
    } catch (error) {
      if (error instanceof LocationUnavailableError) {
        throw new ConflictException({ error: error.reason });
      }
      if (isGhlApiError(error) && error.kind === 'not-found') {
        await this.handOverGoneContact(locationId, contactId);
        throw new NotFoundException('GHL has no such contact');
      }
      this.logger.warn(
        { locationId, contactId, error: isGhlApiError(error) ? error.kind : 'unknown' },
        'health score refresh could not read the contact',
      );
      throw new BadGatewayException('GHL could not be read');
    }
  }

  /** A contact sync of the contact GHL no longer has; the 404 is answered even if it fails. */
  private async handOverGoneContact(locationId: string, contactId: string): Promise<void> {
    try {
      await this.enqueuer.syncContact(
        { locationId, contactId, cause: 'manual' },
        JobPriority.RealTime,
      );
    } catch (error) {
      this.logger.warn(
        { locationId, contactId, err: (error as Error).message },
        'a contact GHL no longer has could not be handed to the sync engine',
      );
    }
  }
}
