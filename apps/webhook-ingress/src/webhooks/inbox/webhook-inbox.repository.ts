import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { DeliveryStatus } from '@sm/entities';

export interface NewInboxRow {
  dedupeKey: string;
  webhookId: string | null;
  eventType: string;
  locationId: string | null;
  /** The body as received: Postgres parses it into jsonb, nothing re-serializes it here. */
  payloadJson: string;
  signatureScheme: string;
  status: DeliveryStatus;
  error: string | null;
}

/** A recorded delivery that should be on a queue. */
export interface PendingDelivery {
  inboxId: string;
  receivedAt?: string;
  eventType: string;
  locationId: string | null;
  companyId: string | null;
}

const INSERT_DELIVERY = `
  INSERT INTO webhook_inbox
    (dedupe_key, webhook_id, event_type, location_id, payload, signature_scheme, status, error)
  VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id`;

const SELECT_UNQUEUED = `
  SELECT id, event_type, location_id, payload->>'companyId' AS company_id,
    received_at::text AS received_at_text
  FROM webhook_inbox
  WHERE status = $1
    AND received_at < now() - make_interval(secs => $2)
    AND (received_at, id) > ($3::timestamptz, $4::uuid)
  ORDER BY received_at, id
  LIMIT $5`;

const BEFORE_EVERYTHING: InboxCursor = {
  receivedAt: '-infinity',
  inboxId: '00000000-0000-0000-0000-000000000000',
};

/** Where the previous page of a sweep ended (keyset pagination). */
export interface InboxCursor {
  /** Postgres' own text form: a JS Date would drop the microseconds and repeat rows. */
  receivedAt: string;
  inboxId: string;
}

/** The webhook inbox (`webhook_inbox`), in plain SQL: one statement per delivery. */
@Injectable()
export class WebhookInboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The new row's id, or undefined when a delivery with the same dedupe key is recorded. */
  async record(row: NewInboxRow): Promise<string | undefined> {
    const rows: { id: string }[] = await this.dataSource.query(INSERT_DELIVERY, [
      row.dedupeKey,
      row.webhookId,
      row.eventType,
      row.locationId,
      row.payloadJson,
      row.signatureScheme,
      row.status,
      row.error,
    ]);

    return rows[0]?.id;
  }

  /**
   * Deliveries still `received` after `ageSeconds`, oldest first, after `cursor` (served by the
   * status index).
   */
  async findUnqueued(
    ageSeconds: number,
    limit: number,
    cursor: InboxCursor = BEFORE_EVERYTHING,
  ): Promise<PendingDelivery[]> {
    const rows: UnqueuedRow[] = await this.dataSource.query(SELECT_UNQUEUED, [
      DeliveryStatus.Received,
      ageSeconds,
      cursor.receivedAt,
      cursor.inboxId,
      limit,
    ]);

    return rows.map((row) => ({
      inboxId: row.id,
      receivedAt: row.received_at_text,
      eventType: row.event_type,
      locationId: row.location_id,
      companyId: row.company_id,
    }));
  }
}

interface UnqueuedRow {
  id: string;
  event_type: string;
  location_id: string | null;
  company_id: string | null;
  received_at_text: string;
}
