import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One stored entry of a contact's timeline: a note, task, appointment or contact change. Written
 * by triggers on the record tables (see the activity migrations), never by application code.
 * What a record's row tells (its creation, a task's due date) is not stored: the timeline reads
 * it from the row (see `first_version_at` on the record entities).
 */
@Entity('contact_activity')
@Index('UQ_contact_activity_location_dedupe', ['locationId', 'dedupeKey'], { unique: true })
@Index('IDX_contact_activity_timeline', ['locationId', 'contactId', 'occurredAt', 'id'])
export class ContactActivity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  /** `<record>.<what happened>`, e.g. `task.completed`, `appointment.no-show`. */
  @Column({ type: 'varchar', length: 48 })
  kind: string;

  /** contact, task, note or appointment. */
  @Column({ name: 'record_type', type: 'varchar', length: 16 })
  recordType: string;

  @Column({ name: 'record_id', type: 'varchar', length: 64 })
  recordId: string;

  /** When it happened, as far as the record tells (GHL's time, else the fetch time). */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;

  /** Record, kind, version and change: the same change written twice is one row. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 200 })
  dedupeKey: string;

  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}
