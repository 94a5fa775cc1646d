import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

import { RefreshScheduler, tokenUnreadableAlertKey } from './refresh-scheduler.service';
import type { StoredTokenUnreadableError } from './token-errors';

/** Alerts one process remembers having queued; past this it forgets them all and starts over. */
const REMEMBERED_ALERTS = 10_000;

/**
 * Tells an admin that a connected location's stored token opens with no key of the ring: as for
 * a re-auth, a person must act (mend `TOKEN_ENCRYPTION_KEYS`, or reinstall the location). The
 * sync workers ask for the token again after each pause, and every replica may be asked: the
 * alert's dedupe key (row, key id, failure) has the notification service send it once, and this
 * process remembers what it queued, so that asking again writes nothing to the queue.
 */
@Injectable()
export class UnreadableTokenAlerts {
  private readonly logger = new Logger(UnreadableTokenAlerts.name);
  private readonly queued = new Set<string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: RefreshScheduler,
  ) {}

  /** Never rejects: the refusal the caller gets neither waits on the alert nor fails with it. */
  async report(unreadable: StoredTokenUnreadableError): Promise<void> {
    const key = tokenUnreadableAlertKey(unreadable);
    if (this.queued.has(key)) return;

    this.remember(key);
    try {
      if (await this.isConnected(unreadable.locationId)) {
        await this.scheduler.alertTokenUnreadable(unreadable);

        return;
      }
      // A row left behind a connection that is gone needs nobody; were it connected again, the
      // next request would alert.
      this.queued.delete(key);
    } catch (error) {
      this.queued.delete(key);
      this.logger.warn(
        { locationId: unreadable.locationId, err: (error as Error).message },
        'unreadable token alert not queued',
      );
    }
  }

  /**
   * Whether the row belongs to a connection someone expects to work. An uninstalled one is not
   * connected; one awaiting re-auth already had its alert, and the reinstall rewrites the row.
   */
  private async isConnected(locationId: string): Promise<boolean> {
    const connection = await this.dataSource.manager.findOneBy(Connection, { locationId });
    const status = connection?.status;

    return status === ConnectionStatus.Active || status === ConnectionStatus.Paused;
  }

  private remember(key: string): void {
    if (this.queued.size >= REMEMBERED_ALERTS) this.queued.clear();
    this.queued.add(key);
  }
}
