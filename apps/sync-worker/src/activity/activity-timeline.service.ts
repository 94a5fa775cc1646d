import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { ContactActivity } from '@sm/entities';

/** Where a page starts: the last entry of the page before. */
export interface TimelinePosition {
  occurredAt: Date;
  id: string;
}

export interface TimelinePageRequest {
  limit: number;
  order: 'asc' | 'desc';
  after?: TimelinePosition;
}

export interface TimelinePage {
  entries: ContactActivity[];
  /** Set when more entries follow this page. */
  next: TimelinePosition | null;
}

interface ActivityRow {
  id: string;
  location_id: string;
  contact_id: string;
  kind: string;
  record_type: string;
  record_id: string;
  occurred_at: Date;
  details: Record<string, unknown>;
  dedupe_key: string;
  recorded_at: Date;
}

/**
 * Reads a contact's timeline. The entries are written by triggers on the record tables (see the
 * activity migration in libs/entities), so this side only reads, ordered by (occurred_at, id).
 */
@Injectable()
export class ActivityTimeline {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(
    locationId: string,
    contactId: string,
    request: TimelinePageRequest,
  ): Promise<TimelinePage> {
    const isAscending = request.order === 'asc';
    const comparison = isAscending ? '>' : '<';
    const direction = isAscending ? 'ASC' : 'DESC';
    const parameters: unknown[] = [locationId, contactId, request.limit + 1];
    let afterClause = '';
    if (request.after) {
      parameters.push(request.after.occurredAt, request.after.id);
      afterClause = `AND (occurred_at, id) ${comparison} ($4::timestamptz, $5::bigint)`;
    }
    const rows: ActivityRow[] = await this.dataSource.query(
      `SELECT * FROM contact_activity
       WHERE location_id = $1 AND contact_id = $2 ${afterClause}
       ORDER BY occurred_at ${direction}, id ${direction}
       LIMIT $3`,
      parameters,
    );
    const entries = rows.slice(0, request.limit).map(toEntity);
    const last = entries[entries.length - 1];
    const hasMore = rows.length > request.limit;

    return { entries, next: hasMore ? { occurredAt: last.occurredAt, id: last.id } : null };
  }
}

function toEntity(row: ActivityRow): ContactActivity {
  return {
    id: String(row.id),
    locationId: row.location_id,
    contactId: row.contact_id,
    kind: row.kind,
    recordType: row.record_type,
    recordId: row.record_id,
    occurredAt: row.occurred_at,
    details: row.details,
    dedupeKey: row.dedupe_key,
    recordedAt: row.recorded_at,
  };
}
