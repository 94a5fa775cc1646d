import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

import { RefreshScheduler } from './refresh-scheduler.service';
import type { StoredTokenUnreadableError } from './token-errors';

/**
 * Tells an admin that a connected location's stored token opens with no key of the ring: as for
 * a re-auth, a person must act (mend `TOKEN_ENCRYPTION_KEYS`, or reinstall the location). The
 * sync workers ask for the token again after each pause, and every replica may be asked: one
 * alert goes out per episode, the time from the first refusal to the next time the row opens
 * (or is rewritten) on any replica. A row that stops opening again, say the same bad ring
 * deployed a second time, starts the next episode and alerts again.
 *
 * The episodes are rows of `token_unreadable_episodes`, numbered per location, and the number
 * is in the alert's dedupe key and job id: the replicas, a restarted process, the queue and the
 * notification service all see the same episode. A day bucket would not do: the same bad ring
 * deployed twice in a day would share one key, and one episode across midnight would alert
 * twice. Nothing is remembered in memory, which no other replica would see; a refusal costs one
 * read of the episode row, and no write while its episode is open.
 *
 * TODO: replicas whose rings disagree (some open the row, some do not) make a new episode each
 * time a replica that opens the row reads it afresh between refusals, which its read cache
 * bounds to once per change notice or five minutes per replica. Telling that apart from a ring
 * mended and broken again would need the ring's identity stored with each outcome.
 */
@Injectable()
export class UnreadableTokenAlerts {
  private readonly logger = new Logger(UnreadableTokenAlerts.name);
  /** Refusals of one location at once in this process share one report. */
  private readonly reporting = new Map<string, Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: RefreshScheduler,
  ) {}

  /** Never rejects: the refusal the caller gets neither waits on the alert nor fails with it. */
  report(unreadable: StoredTokenUnreadableError): Promise<void> {
    const { locationId } = unreadable;
    const running = this.reporting.get(locationId);
    if (running) return running;

    const report = this.alertOnce(unreadable)
      .catch((error: Error) =>
        this.logger.warn({ locationId, err: error.message }, 'unreadable token alert not queued'),
      )
      .finally(() => this.reporting.delete(locationId));
    this.reporting.set(locationId, report);

    return report;
  }

  /**
   * Queues the alert of the next episode, then opens that episode, unless one is open already.
   * In that order, so that an alert is never lost: a replica that fails between the two leaves
   * the episode closed, and the next refusal queues the same alert again (the same job id and
   * dedupe key, so it is sent once) before opening it. Two replicas racing queue the same alert;
   * only one of them opens the episode, the other's update finds it no longer the one before.
   */
  private async alertOnce(unreadable: StoredTokenUnreadableError): Promise<void> {
    const { locationId } = unreadable;
    const next = await this.nextEpisode(locationId);
    // A row left behind a connection that is gone needs nobody; were it connected again, the
    // next refusal would alert.
    if (next === undefined || !(await this.isConnected(locationId))) return;

    await this.scheduler.alertTokenUnreadable(unreadable, next);
    await this.dataSource.query(
      `INSERT INTO token_unreadable_episodes AS e (location_id, episode, opened_at)
       VALUES ($1, $2, now())
       ON CONFLICT (location_id) DO UPDATE SET
         episode = EXCLUDED.episode, opened_at = EXCLUDED.opened_at, closed_at = NULL
       WHERE e.episode = EXCLUDED.episode - 1 AND e.closed_at IS NOT NULL`,
      [locationId, next],
    );
  }

  /** The number of the episode a refusal now starts; undefined while one is open. */
  private async nextEpisode(locationId: string): Promise<number | undefined> {
    const rows: Array<{ episode: number; isOpen: boolean }> = await this.dataSource.query(
      `SELECT episode, closed_at IS NULL AS "isOpen" FROM token_unreadable_episodes
        WHERE location_id = $1`,
      [locationId],
    );
    if (rows.length === 0) return 1;

    return rows[0].isOpen ? undefined : rows[0].episode + 1;
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
}
