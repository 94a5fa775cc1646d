import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';

import { Appointment, Note, Task } from '@sm/entities';

import { ActivityTimeline } from '../activity/activity-timeline.service';
import type { ApiPrincipal } from './api-principal';
import {
  appointmentView,
  ContactRow,
  contactView,
  noteView,
  taskView,
  timelineEntryView,
} from './contact-views';
import type { ContactDetailDto, ContactListDto, TimelinePageDto } from './dto/contact-views.dto';
import { encodeCursor } from './page-cursor';
import type { ContactListQuery, TimelineQuery } from './read-api-queries';

const CONTACT_COLUMNS = `c.location_id, c.id, c.name, c.first_name, c.last_name, c.email, c.phone,
  c.phone_extension, c.source, c.assigned_to, c.dnd, c.tags, c.custom_fields, c.source_version_at,
  s.score, s.factors, s.trigger AS score_trigger, s.computed_at AS score_computed_at`;
const CONTACT_FROM = `contacts c LEFT JOIN contact_health_scores s
  ON s.location_id = c.location_id AND s.contact_id = c.id`;
const DETAIL_TIMELINE_SIZE = 20;

/**
 * What the read API shows, straight from SolarMarket's records: never a GHL call. Every query
 * is bounded by the caller's locations; a contact outside them does not exist for the caller.
 */
@Injectable()
export class ContactsRead {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly timeline: ActivityTimeline,
  ) {}

  /** Contacts ordered by (updatedAt, locationId, id), so that `updatedSince` walks are stable. */
  async list(principal: ApiPrincipal, query: ContactListQuery): Promise<ContactListDto> {
    const locations = this.locationsFor(principal, query.locationId);
    const parameters: unknown[] = [locations];
    const where = ['c.location_id = ANY($1::varchar[])', 'c.deleted_at IS NULL'];
    const bind = (value: unknown) => `$${parameters.push(value)}`;
    if (query.tag.length > 0) where.push(`c.tags @> ${bind(query.tag)}::text[]`);
    if (query.minScore !== undefined) where.push(`s.score >= ${bind(query.minScore)}`);
    if (query.maxScore !== undefined) where.push(`s.score <= ${bind(query.maxScore)}`);
    if (query.updatedSince) where.push(`c.source_version_at >= ${bind(query.updatedSince)}`);
    if (query.cursor) {
      const [updatedAt, locationId, id] = query.cursor;
      // Bound as a Date: the client writes any year as Postgres reads it (ISO's 0000 or
      // +020266 it would refuse).
      where.push(
        `(c.source_version_at, c.location_id, c.id) > ` +
          `(${bind(new Date(updatedAt))}::timestamptz, ${bind(locationId)}, ${bind(id)})`,
      );
    }
    const rows: ContactRow[] = await this.dataSource.query(
      `SELECT ${CONTACT_COLUMNS} FROM ${CONTACT_FROM} WHERE ${where.join(' AND ')}
       ORDER BY c.source_version_at, c.location_id, c.id LIMIT ${bind(query.limit + 1)}`,
      parameters,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > query.limit
        ? encodeCursor([last.source_version_at.toISOString(), last.location_id, last.id])
        : null;

    return { data: page.map(contactView), nextCursor };
  }

  async detail(
    principal: ApiPrincipal,
    locationId: string,
    contactId: string,
  ): Promise<ContactDetailDto> {
    const contact = await this.findContact(principal, locationId, contactId);
    const live = { locationId, contactId, deletedAt: IsNull() };
    const [tasks, notes, appointments, timeline] = await Promise.all([
      this.dataSource.getRepository(Task).find({ where: live, order: { dueDate: 'ASC' } }),
      this.dataSource.getRepository(Note).find({ where: live, order: { ghlDateAdded: 'DESC' } }),
      this.dataSource
        .getRepository(Appointment)
        .find({ where: live, order: { startTime: 'DESC' } }),
      this.timelinePage(principal, locationId, contactId, {
        limit: DETAIL_TIMELINE_SIZE,
        order: 'desc',
      }),
    ]);

    return {
      ...contactView(contact),
      tasks: tasks.map(taskView),
      notes: notes.map(noteView),
      appointments: appointments.map(appointmentView),
      timeline,
    };
  }

  async timelinePage(
    principal: ApiPrincipal,
    locationId: string,
    contactId: string,
    query: TimelineQuery,
  ): Promise<TimelinePageDto> {
    this.assertReadable(principal, locationId);
    const after = query.cursor && {
      occurredAt: new Date(query.cursor[0]),
      position: query.cursor[1],
    };
    const page = await this.timeline.page(locationId, contactId, { ...query, after });

    return {
      data: page.entries.map(timelineEntryView),
      nextCursor: page.next
        ? encodeCursor([page.next.occurredAt.toISOString(), page.next.position])
        : null,
    };
  }

  /** A live contact of one of the caller's locations; anything else is the same 404. */
  async findContact(
    principal: ApiPrincipal,
    locationId: string,
    contactId: string,
  ): Promise<ContactRow> {
    this.assertReadable(principal, locationId);
    const rows: ContactRow[] = await this.dataSource.query(
      `SELECT ${CONTACT_COLUMNS} FROM ${CONTACT_FROM}
       WHERE c.location_id = $1 AND c.id = $2 AND c.deleted_at IS NULL`,
      [locationId, contactId],
    );
    if (rows.length === 0) throw new NotFoundException('no such contact');

    return rows[0];
  }

  /** A location outside the key's scope answers as if it did not exist (or its contact). */
  assertReadable(principal: ApiPrincipal, locationId: string, notFound = 'no such contact'): void {
    if (!principal.locations.has(locationId)) throw new NotFoundException(notFound);
  }

  private locationsFor(principal: ApiPrincipal, locationId: string | undefined): string[] {
    if (locationId === undefined) return [...principal.locations];
    if (!principal.locations.has(locationId)) {
      throw new ForbiddenException('this key does not read that location');
    }

    return [locationId];
  }
}
