import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import {
  DeliveryStatus,
  PostgresPool,
  postgresPool,
  QueryDeadlineError,
  queryWithin,
} from '@sm/entities';

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

/**
 * One statement for a whole batch, its text the same whatever the batch size (a named
 * statement, prepared once per connection): one array per column, unnested into rows.
 */
const INSERT_DELIVERIES = `
  INSERT INTO webhook_inbox
    (dedupe_key, webhook_id, event_type, location_id, payload, signature_scheme, status, error)
  SELECT dedupe_key, webhook_id, event_type, location_id, payload::jsonb, signature_scheme,
    status, error
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[])
    AS batch (dedupe_key, webhook_id, event_type, location_id, payload, signature_scheme, status,
      error)
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id, dedupe_key`;

/**
 * How long a delivery may wait on Postgres, from its `record` call to its commit. Past it the
 * answer is 429, which GHL retries; an insert already sent may still land, and then the retry is
 * answered as a duplicate.
 */
const RECORD_TIMEOUT_MS = 3_000;
/** Rows per statement, at most. */
const MAX_BATCH_SIZE = 200;
/**
 * Statements on their way to Postgres at once (the pool holds 10 connections). Fewer in flight
 * means larger batches, and a row's cost falls with its batch (client and backend CPU: about
 * 90 µs a row in batches of 7, 75 in batches of 25, 55 in batches of 100); two keep one batch
 * filling while the other commits.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

const SELECT_UNQUEUED = `
  SELECT id, event_type, location_id, payload->>'companyId' AS company_id,
    received_at::text AS received_at_text
  FROM webhook_inbox
  WHERE status = $1
    AND received_at < now() - make_interval(secs => $2)
    AND (received_at, id) > ($3::timestamptz, $4::uuid)
  ORDER BY received_at, id
  LIMIT $5`;

/**
 * One bounded batch of settled deliveries past their retention, oldest first, through the
 * (status, received_at) index. SKIP LOCKED: replicas pruning at once take different rows.
 */
const DELETE_SETTLED = `
  DELETE FROM webhook_inbox
  WHERE id IN (
    SELECT id FROM webhook_inbox
    WHERE status = ANY($1::text[])
      AND received_at < now() - make_interval(days => $2)
    ORDER BY received_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  )`;

/** Deliveries done with: a `failed` one waits for someone to act, a `received` one for a queue. */
const SETTLED: DeliveryStatus[] = [DeliveryStatus.Processed, DeliveryStatus.Ignored];

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

/**
 * The webhook inbox (`webhook_inbox`), in plain SQL on the pg pool under TypeORM (the insert is
 * the ingress' hot path; TypeORM's query runner adds nothing to one statement but overhead).
 *
 * Inserts are batched without a timer: a delivery is sent at the end of the event loop's turn
 * with every other delivery recorded in that turn, unless {@link MAX_BATCHES_IN_FLIGHT} batches
 * are already on their way, in which case it waits for one of them to come back and goes with
 * everything that arrived meanwhile. Idle, a delivery waits for nothing; under load, batches
 * grow and Postgres commits many rows at once. A batch commits or fails as a whole, and each
 * caller learns the outcome of its own row only after the commit, so nothing is acknowledged
 * before it is durable. A batch refused for its data (one body Postgres cannot store) is
 * retried row by row, so that only that delivery is refused.
 *
 * Every caller is answered within {@link RECORD_TIMEOUT_MS}, and a batch gives its slot back once
 * the last of its callers has stopped waiting: an insert on a connection that went silent
 * neither holds the slot nor its connection past that (the statement has the same timeout, and
 * a connection that times out is closed), so that the next batch gets a new connection. A
 * delivery whose caller stopped waiting before its batch left is never sent.
 */
@Injectable()
export class WebhookInboxRepository {
  private readonly pool: PostgresPool;
  private pending: PendingInsert[] = [];
  private isFlushScheduled = false;
  private batchesInFlight = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.pool = postgresPool(dataSource);
  }

  /**
   * The new row's id, or undefined when a delivery with the same dedupe key is recorded. Rejects
   * with a `QueryDeadlineError` after {@link RECORD_TIMEOUT_MS}, the row's fate then unknown.
   */
  record(row: NewInboxRow): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push(new PendingInsert(row, resolve, reject, RECORD_TIMEOUT_MS));
      if (this.isFlushScheduled) return;
      this.isFlushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.isFlushScheduled = false;
    this.pending = this.pending.filter((insert) => !insert.isAnswered);
    while (this.pending.length > 0 && this.batchesInFlight < MAX_BATCHES_IN_FLIGHT) {
      const batch = this.pending.splice(0, MAX_BATCH_SIZE);
      this.batchesInFlight++;
      void this.insertBatch(batch).finally(() => {
        this.batchesInFlight--;
        this.flush();
      });
    }
  }

  private async insertBatch(batch: PendingInsert[]): Promise<void> {
    try {
      const ids = await this.insert(
        batch.map(({ row }) => row),
        Math.max(...batch.map((insert) => insert.deadline)),
      );
      // A key twice in one batch is inserted once: the first caller gets the id, the others the
      // answer a duplicate gets (undefined), as they would had they come one after the other.
      for (const insert of batch) {
        const id = ids.get(insert.row.dedupeKey);
        ids.delete(insert.row.dedupeKey);
        insert.resolve(id);
      }
    } catch (error) {
      if (batch.length > 1 && isDataError(error)) {
        const waiting = batch.filter((insert) => !insert.isAnswered);
        await Promise.all(waiting.map((insert) => this.insertBatch([insert])));

        return;
      }
      for (const insert of batch) insert.reject(error);
    }
  }

  /** The ids of the rows inserted, by dedupe key; rejects at `deadline` (epoch ms). */
  private async insert(rows: NewInboxRow[], deadline: number): Promise<Map<string, string>> {
    const column = <K extends keyof NewInboxRow>(key: K) => rows.map((row) => row[key]);
    const statement = {
      name: 'webhook-inbox-insert',
      text: INSERT_DELIVERIES,
      values: [
        column('dedupeKey'),
        column('webhookId'),
        column('eventType'),
        column('locationId'),
        column('payloadJson'),
        column('signatureScheme'),
        column('status'),
        column('error'),
      ],
    };
    const result = await queryWithin<{ id: string; dedupe_key: string }>(
      this.pool,
      statement,
      Math.max(1, deadline - Date.now()),
    );

    return new Map(result.rows.map((row) => [row.dedupe_key, row.id]));
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

  /** Deletes up to `limit` processed or ignored deliveries older than `retentionDays`. */
  async deleteSettled(retentionDays: number, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(DELETE_SETTLED, [
      SETTLED,
      retentionDays,
      limit,
    ])) as [unknown, number];

    return deleted;
  }
}

/** One caller's row, answered once: by its batch's outcome or by its deadline, the first. */
class PendingInsert {
  /** When its caller stops waiting (epoch ms). */
  readonly deadline: number;
  private answered = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly row: NewInboxRow,
    private readonly onRecorded: (id: string | undefined) => void,
    private readonly onFailed: (error: unknown) => void,
    timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.reject(new QueryDeadlineError(timeoutMs)), timeoutMs);
  }

  get isAnswered(): boolean {
    return this.answered;
  }

  resolve(id: string | undefined): void {
    if (this.answer()) this.onRecorded(id);
  }

  reject(error: unknown): void {
    if (this.answer()) this.onFailed(error);
  }

  private answer(): boolean {
    if (this.answered) return false;
    this.answered = true;
    clearTimeout(this.timer);

    return true;
  }
}

/** The SQLSTATE of a Postgres error (TypeORM copies it onto QueryFailedError). */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;

  return typeof code === 'string' ? code : undefined;
}

/** Class 22 (data exception) and 54 (limit exceeded): retrying the same body cannot help. */
export function isDataError(error: unknown): boolean {
  const code = sqlStateOf(error);

  return code !== undefined && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

interface UnqueuedRow {
  id: string;
  event_type: string;
  location_id: string | null;
  company_id: string | null;
  received_at_text: string;
}
