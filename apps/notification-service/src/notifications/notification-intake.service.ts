import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { jsonbParameter } from '@sm/platform';

import { ChannelRouter, Recipient } from '../channels/channel-router';
import { DeliveryQueues } from '../delivery/delivery-queues';
import {
  channelDedupeKey,
  NotificationMessage,
  NotificationStatus,
} from '../messages/notification-message';

export interface NotificationRequest {
  /** What makes the event unique; each channel's row adds the channel to it. */
  eventKey: string;
  recipient: Recipient;
  kind: string;
  message: NotificationMessage;
}

export interface ChannelOutcome {
  channel: string;
  notificationId: string;
  /** False when an earlier report of the event already made this channel's row. */
  isNew: boolean;
}

export type IntakeOutcome =
  { outcome: 'accepted'; deliveries: ChannelOutcome[] } | { outcome: 'unrouted' };

interface StoredRow {
  id: string;
  channel: string;
  status: string;
}

/**
 * Turns a request into at most one notification per channel of its recipient's route: each row
 * is inserted first, keyed by its dedupe key, and only then queued for delivery. Asking again
 * finds the rows and adds nothing, except that a row still pending is queued again (its job id
 * makes that a no-op unless a crash lost the job between the insert and the enqueue).
 */
@Injectable()
export class NotificationIntakeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly router: ChannelRouter,
    private readonly deliveryQueues: DeliveryQueues,
  ) {}

  async submit(request: NotificationRequest): Promise<IntakeOutcome> {
    const routes = this.router.routesFor(request.recipient);
    if (routes.length === 0) return { outcome: 'unrouted' };

    const deliveries: ChannelOutcome[] = [];
    for (const route of routes) {
      const dedupeKey = channelDedupeKey(request.eventKey, route.channel);
      const inserted = await this.insert(request, route.channel, dedupeKey);
      const row = inserted ?? (await this.findByDedupeKey(dedupeKey));
      if (row.status === NotificationStatus.Pending) await this.deliveryQueues.enqueue(row);
      deliveries.push({ channel: row.channel, notificationId: row.id, isNew: inserted !== null });
    }

    return { outcome: 'accepted', deliveries };
  }

  private async insert(
    request: NotificationRequest,
    channel: string,
    dedupeKey: string,
  ): Promise<StoredRow | null> {
    const rows: StoredRow[] = await this.dataSource.query(
      `INSERT INTO notifications
         (dedupe_key, location_id, audience, channel, kind, status, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, channel, status`,
      [
        dedupeKey,
        request.recipient.locationId,
        request.recipient.audience,
        channel,
        request.kind,
        NotificationStatus.Pending,
        jsonbParameter(withTeam(request.message, request.recipient.team)),
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

/**
 * The team is kept in the message's refs: the delivery resolves the route again at send time
 * (destinations stay in config, never in a row), and a signed-webhook receiver sees the team.
 */
function withTeam(message: NotificationMessage, team: string | null): NotificationMessage {
  return team ? { ...message, refs: { ...message.refs, team } } : message;
}

/** The recipient a stored row was routed to, from its columns and the team in its refs. */
export function recipientOfRow(row: {
  audience: string;
  locationId: string | null;
  message: Record<string, unknown> | null;
}): Recipient {
  const refs = (row.message as Partial<NotificationMessage> | null)?.refs;

  return {
    audience: row.audience === 'admin' ? 'admin' : 'team',
    locationId: row.locationId,
    team: refs?.team ?? null,
  };
}
