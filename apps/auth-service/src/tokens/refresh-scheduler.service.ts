import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';

import {
  AdminAlertJob,
  JobKey,
  JobName,
  QueueName,
  RefreshTokenJob,
  SyncLocationJob,
} from '@sm/queues';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { KEY_RING_VARIABLE } from './key-ring-check.service';
import type { StoredTokenUnreadableError } from './token-errors';

/** How long a paused location is retried: exponential from one minute, about 34 hours in all. */
const PAUSED_RETRY = { attempts: 12, backoff: { type: 'exponential', delay: 60_000 } } as const;

/**
 * A token's generation restarts at 1 after an uninstall deletes it: a finished job must not
 * linger under an id a reinstall will use again. Failures are logged by the processor.
 */
const FORGET_WHEN_DONE = { removeOnComplete: true, removeOnFail: true } as const;

/**
 * The auth service's jobs: the proactive refresh of each connection, the paused-location retry,
 * the first full sync, the re-auth alert and the unreadable-token alert. Job ids are stable, so
 * that a job added twice (by two replicas, or by a retried request) exists once.
 */
@Injectable()
export class RefreshScheduler {
  private readonly logger = new Logger(RefreshScheduler.name);

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServiceConfig,
    @InjectQueue(QueueName.TokenRefresh) private readonly refreshQueue: Queue<RefreshTokenJob>,
    @InjectQueue(QueueName.LocationSync) private readonly syncQueue: Queue<SyncLocationJob>,
    @InjectQueue(QueueName.Notifications) private readonly notifications: Queue<AdminAlertJob>,
  ) {}

  /**
   * One delayed refresh per token generation, due `TOKEN_REFRESH_MARGIN_SECONDS` before expiry.
   * BullMQ refuses custom ids with a single `:`, so the generation is the id's third part; the
   * previous generation's job is removed (or, when it is running, finds nothing to do).
   */
  async scheduleRefresh(locationId: string, generation: number, expiresAt: Date): Promise<void> {
    const dueAt = expiresAt.getTime() - this.config.TOKEN_REFRESH_MARGIN_SECONDS * 1_000;
    await this.refreshQueue.add(
      JobName.RefreshToken,
      { locationId },
      {
        jobId: refreshJobId(locationId, generation),
        delay: Math.max(0, dueAt - Date.now()),
        ...FORGET_WHEN_DONE,
      },
    );
    if (generation > 1) await this.refreshQueue.remove(refreshJobId(locationId, generation - 1));
    this.logger.log({ locationId, generation, dueAt: new Date(dueAt) }, 'token refresh scheduled');
  }

  async scheduleRetryWhilePaused(locationId: string): Promise<void> {
    await this.refreshQueue.add(
      JobName.RefreshToken,
      { locationId },
      {
        jobId: `${JobKey.tokenRefresh(locationId)}:paused`,
        delay: 60_000,
        ...PAUSED_RETRY,
        ...FORGET_WHEN_DONE,
      },
    );
  }

  /** Removes every refresh job of the location (used at uninstall). */
  async unscheduleRefresh(locationId: string, generation: number | null): Promise<void> {
    const ids = [`${JobKey.tokenRefresh(locationId)}:paused`];
    if (generation !== null) ids.push(refreshJobId(locationId, generation));
    await Promise.all(ids.map((id) => this.refreshQueue.remove(id)));
  }

  /** Removes the location's sync schedules: the nightly full sync and the task sweep. */
  async removeSyncSchedules(locationId: string): Promise<void> {
    await Promise.all([
      this.syncQueue.removeJobScheduler(JobKey.nightlySync(locationId)),
      this.syncQueue.removeJobScheduler(JobKey.taskSweep(locationId)),
    ]);
  }

  async enqueueFirstSync(locationId: string): Promise<void> {
    await this.syncQueue.add(
      JobName.SyncLocation,
      { locationId, trigger: 'install' },
      { jobId: `install-sync-${locationId}-${Date.now()}` },
    );
  }

  /** One alert per location and token generation: a reinstall that fails again alerts again. */
  async alertReauthRequired(locationId: string, generation: number): Promise<void> {
    await this.notifications.add(
      JobName.AdminAlert,
      {
        kind: 'connection-reauth-required',
        locationId,
        dedupeKey: `connection-reauth-required:${locationId}:${generation}`,
        summary: `GHL refused the refresh token of location ${locationId}: reinstall the app`,
      },
      { jobId: `reauth-required-${locationId}-${generation}` },
    );
  }

  /**
   * One alert per unreadable-token episode of the location (see `UnreadableTokenAlerts`): the
   * episode number makes the job id and dedupe key, so a replica that queues it again, or a
   * notification service that takes it twice, sends it once, and the next episode alerts again.
   */
  async alertTokenUnreadable(
    unreadable: StoredTokenUnreadableError,
    episode: number,
  ): Promise<void> {
    const { locationId, keyId } = unreadable;
    const dedupeKey = tokenUnreadableAlertKey(locationId, episode);
    await this.notifications.add(
      JobName.AdminAlert,
      {
        kind: 'connection-token-unreadable',
        locationId,
        keyId,
        dedupeKey,
        summary: unreadableSummary(unreadable),
      },
      { jobId: dedupeKey.replaceAll(':', '-') },
    );
  }
}

/** What makes an unreadable-token alert unique: the location and its episode, ids only. */
export function tokenUnreadableAlertKey(locationId: string, episode: number): string {
  return `connection-token-unreadable:${locationId}:episode-${episode}`;
}

/** What an operator must do, by why the row did not open. Names ids, never a value. */
function unreadableSummary({ locationId, keyId, failure }: StoredTokenUnreadableError): string {
  const row =
    `The stored token of location ${locationId} (sealed with key ${keyId}) opens with no key ` +
    `of ${KEY_RING_VARIABLE}`;
  const then = 'or reinstall the app; its syncs are put off meanwhile';
  switch (failure) {
    case 'key-missing':
      return `${row}: the ring lacks ${keyId}. Put that key back, ${then}`;
    case 'not-authentic':
      return (
        `${row}: the ring holds other bytes under ${keyId}, or the row was altered. Restore ` +
        `that key's bytes, ${then}`
      );
    case 'unknown-format':
      return `${row}: the row is not in the sealed format (it was altered). Mend it, ${then}`;
  }
}

export function refreshJobId(locationId: string, generation: number): string {
  return `${JobKey.tokenRefresh(locationId)}:${generation}`;
}
