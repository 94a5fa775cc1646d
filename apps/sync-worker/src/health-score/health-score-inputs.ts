import type { EntityManager } from 'typeorm';

import type { HealthScoreInputs } from './health-score.calculator';

/** Appointment statuses that neither touch the contact nor keep a slot booked. */
const VOID_APPOINTMENT = `lower(COALESCE(a.status, '')) IN ('cancelled', 'noshow', 'invalid')`;

const INPUTS_QUERY = `
  SELECT c.id, c.email, c.phone, c.dnd, c.tags,
    GREATEST(
      (SELECT max(COALESCE(n.ghl_date_added, n.source_version_at)) FROM contact_notes n
        WHERE n.location_id = c.location_id AND n.contact_id = c.id AND n.deleted_at IS NULL),
      (SELECT max(t.completed_at) FROM contact_tasks t
        WHERE t.location_id = c.location_id AND t.contact_id = c.id AND t.deleted_at IS NULL
          AND t.completed),
      (SELECT max(a.start_time) FROM contact_appointments a
        WHERE a.location_id = c.location_id AND a.contact_id = c.id AND a.deleted_at IS NULL
          AND a.start_time <= $3 AND NOT ${VOID_APPOINTMENT})
    ) AS last_touch_at,
    (SELECT count(*) FROM contact_tasks t
      WHERE t.location_id = c.location_id AND t.contact_id = c.id AND t.deleted_at IS NULL
        AND NOT t.completed AND t.due_date < $3)::int AS overdue_open_tasks,
    (SELECT min(a.start_time) FROM contact_appointments a
      WHERE a.location_id = c.location_id AND a.contact_id = c.id AND a.deleted_at IS NULL
        AND a.start_time > $3 AND NOT ${VOID_APPOINTMENT}) AS next_appointment_at
  FROM contacts c
  WHERE c.location_id = $1 AND c.deleted_at IS NULL AND c.id = ANY($2::varchar[])`;

interface InputsRow {
  id: string;
  email: string | null;
  phone: string | null;
  dnd: boolean;
  tags: string[];
  last_touch_at: Date | null;
  overdue_open_tasks: number;
  next_appointment_at: Date | null;
}

/** The score inputs of live (not deleted) contacts, by contact id, from the records. */
export async function loadHealthScoreInputs(
  manager: EntityManager,
  locationId: string,
  contactIds: string[],
  now: Date,
): Promise<Map<string, HealthScoreInputs>> {
  const rows: InputsRow[] = await manager.query(INPUTS_QUERY, [locationId, contactIds, now]);

  return new Map(
    rows.map((row) => [
      row.id,
      {
        email: row.email,
        phone: row.phone,
        dnd: row.dnd,
        tags: row.tags ?? [],
        lastTouchAt: row.last_touch_at,
        overdueOpenTasks: row.overdue_open_tasks,
        nextAppointmentAt: row.next_appointment_at,
      },
    ]),
  );
}
