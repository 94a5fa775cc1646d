import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { ChannelRouter } from '../channels/channel-router';
import { DeliveryQueues } from '../delivery/delivery-queues';
import {
  NotificationAudience,
  NotificationMessage,
  NotificationStatus,
} from '../messages/notification-message';

export interface NotificationRequest {
  dedupeKey: string;
  locationId: string | null;
  audience: NotificationAudience;
  kind: string;
  message: NotificationMessage;
}

export type IntakeOutcome =
  | { outcome: 'created'; notificationId: string }
  | { outcome: 'duplicate'; notificationId: string }
  | { outcome: 'unrouted' };

interface StoredRow {
  id: string;
  channel: string;
  status: string;
}

/**
 * Turns a request into at most one notification: the row is inserted first, keyed by its dedupe
 * key, and only then queued for delivery. Asking again finds the row and adds nothing, except
 * that a row still pending is queued again (its job id makes that a no-op unless a crash lost the
 * job between the insert and the enqueue).
 */
@Injectable()
export class NotificationIntakeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly router: ChannelRouter,
    private readonly deliveryQueues: DeliveryQueues,
  ) {}

  async submit(request: NotificationRequest): Promise<IntakeOutcome> {
    const route = this.router.routeFor(request.audience, request.locationId);
    if (!route) return { outcome: 'unrouted' };

    const inserted = await this.insert(request, route.channel);
    const row = inserted ?? (await this.findByDedupeKey(request.dedupeKey));
    if (row.status === NotificationStatus.Pending) await this.deliveryQueues.enqueue(row);

    return { outcome: inserted ? 'created' : 'duplicate', notificationId: row.id };
  }

  private async insert(request: NotificationRequest, channel: string): Promise<StoredRow | null> {
    const rows: StoredRow[] = await this.dataSource.query(
      `INSERT INTO notifications
         (dedupe_key, location_id, audience, channel, kind, status, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, channel, status`,
      [
        request.dedupeKey,
        request.locationId,
        request.audience,
        channel,
        request.kind,
        NotificationStatus.Pending,
        JSON.stringify(request.message),
      ],
    );

    return rows[0] ?? null;
  }

  private async findByDedupeKey(dedupeKey: string): Promise<StoredRow> {
    const rows: StoredRow[] = await this.dataSource.query(
      'SELECT id, channel, status FROM notifications WHERE dedupe_key = $1',
      [dedupeKey],
    );
    if (!rows[0]) throw new Error('A notification vanished between its insert and its read');

    return rows[0];
  }
}
