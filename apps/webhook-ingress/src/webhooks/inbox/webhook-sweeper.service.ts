import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';

import { INGRESS_CONFIG, WebhookIngressConfig } from '../../config/webhook-ingress.config';
import { WebhookDispatcher } from '../queueing/webhook-dispatcher.service';
import { InboxCursor, WebhookInboxRepository } from './webhook-inbox.repository';

const BATCH_SIZE = 500;
/** Bounds one sweep, so that a long Redis outage is worked off over several ticks. */
const MAX_BATCHES_PER_SWEEP = 20;
/** Rows per DELETE: each statement holds its row locks only briefly. */
const PRUNE_BATCH_SIZE = 1_000;
/** DELETEs per prune: a large backlog is worked off over several intervals. */
const MAX_PRUNE_BATCHES = 5;

/**
 * Re-enqueues deliveries that were recorded but are still `received` after a while: Redis was
 * down when they arrived, lost them (FLUSHALL, a failover without persistence), or the process
 * died between the insert and the add. Adding again is idempotent (job id = inbox id), so
 * several replicas may sweep at once and a delivery still waiting on its queue is left alone.
 *
 * It also deletes settled deliveries past their retention, at most once per prune interval.
 */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private lastPrunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(INGRESS_CONFIG) private readonly config: WebhookIngressConfig,
    private readonly inbox: WebhookInboxRepository,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.sweep(),
      this.config.WEBHOOK_SWEEP_INTERVAL_SECONDS * 1000,
    );
    this.timer.unref();
  }

  /** One sweep; a sweep already running is joined rather than doubled. The number enqueued. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));

    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const enqueued = await this.sweepBatches();
    await this.pruneIfDue();

    return enqueued;
  }

  /** Deletes settled deliveries past their retention, whether Redis is up or not. */
  private async pruneIfDue(): Promise<void> {
    const isDue =
      Date.now() - this.lastPrunedAt >= this.config.WEBHOOK_INBOX_PRUNE_INTERVAL_SECONDS * 1000;
    if (!isDue) return;

    this.lastPrunedAt = Date.now();
    let deleted = 0;
    try {
      for (let batch = 0; batch < MAX_PRUNE_BATCHES; batch++) {
        const count = await this.inbox.deleteSettled(
          this.config.WEBHOOK_INBOX_RETENTION_DAYS,
          PRUNE_BATCH_SIZE,
        );
        deleted += count;
        if (count < PRUNE_BATCH_SIZE) break;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'webhook inbox prune failed; retrying next interval');
    }
    if (deleted > 0) {
      this.logger.log(
        { count: deleted, retentionDays: this.config.WEBHOOK_INBOX_RETENTION_DAYS },
        'settled webhook deliveries past their retention deleted',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweepBatches(): Promise<number> {
    let enqueued = 0;
    let cursor: InboxCursor | undefined;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP && this.dispatcher.isConnected; batch++) {
        const pending = await this.inbox.findUnqueued(
          this.config.WEBHOOK_SWEEP_AGE_SECONDS,
          BATCH_SIZE,
          cursor,
        );
        enqueued += await this.dispatcher.dispatchMany(pending);
        const last = pending.at(-1);
        if (pending.length < BATCH_SIZE || !last?.receivedAt) break;
        cursor = { receivedAt: last.receivedAt, inboxId: last.inboxId };
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'webhook sweep failed; retrying next interval');
    }
    if (enqueued > 0) {
      // Counts deliveries offered to Redis; those whose job still exists were left as they were.
      this.logger.log(
        { count: enqueued },
        'unprocessed webhook deliveries offered to their queues',
      );
    }

    return enqueued;
  }
}
