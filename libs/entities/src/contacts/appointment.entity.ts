import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A GHL calendar appointment (GHL calls them events) booked for a contact. */
@Entity('contact_appointments')
@Index('IDX_contact_appointments_location_contact', ['locationId', 'contactId'])
export class Appointment {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  @Column({ name: 'calendar_id', type: 'varchar', length: 64, nullable: true })
  calendarId: string | null;

  @Column({ type: 'text', nullable: true })
  title: string | null;

  /** GHL's appointmentStatus: booked, confirmed, cancelled, showed, noshow… */
  @Column({ type: 'varchar', length: 32, nullable: true })
  status: string | null;

  @Column({ name: 'assigned_user_id', type: 'varchar', length: 64, nullable: true })
  assignedUserId: string | null;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ type: 'text', nullable: true })
  notes: string | null;

  @Column({ name: 'start_time', type: 'timestamptz', nullable: true })
  startTime: Date | null;

  @Column({ name: 'end_time', type: 'timestamptz', nullable: true })
  endTime: Date | null;

  @Column({ name: 'ghl_date_updated', type: 'timestamptz', nullable: true })
  ghlDateUpdated: Date | null;

  @Column({ name: 'source_version_at', type: 'timestamptz' })
  sourceVersionAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /**
   * The version at which SolarMarket first held the record live (stored, not a tombstone). The
   * timeline reads the record's creation entry from it; every live row has one (a trigger gives
   * it to a row written without one).
   */
  @Column({ name: 'first_version_at', type: 'timestamptz', nullable: true })
  firstVersionAt: Date | null;

  /**
   * The status of an appointment SolarMarket first held live with one that says what happened
   * (cancelled, showed, no-show), which the timeline reads that entry from; set by the insert
   * only (a trigger sets it for a writer that does not), never moved after.
   */
  @Column({ name: 'status_at_first_sight', type: 'varchar', nullable: true })
  statusAtFirstSight: string | null;

  @Column({ name: 'synced_at', type: 'timestamptz' })
  syncedAt: Date;
}
