import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A GHL task on a contact. GHL gives tasks no dateUpdated: versions are fetch times. */
@Entity('contact_tasks')
@Index('IDX_contact_tasks_location_contact', ['locationId', 'contactId'])
export class Task {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  @Column({ type: 'text', nullable: true })
  title: string | null;

  @Column({ type: 'text', nullable: true })
  body: string | null;

  @Column({ name: 'assigned_to', type: 'varchar', length: 64, nullable: true })
  assignedTo: string | null;

  @Column({ name: 'due_date', type: 'timestamptz', nullable: true })
  dueDate: Date | null;

  @Column({ type: 'boolean', default: false })
  completed: boolean;

  /** When SolarMarket first saw the task completed. */
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

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
   * The completion of a task SolarMarket first held live and completed, which the timeline reads
   * its completion entry from; set by the insert only (a trigger sets it for a writer that does
   * not), never moved after.
   */
  @Column({ name: 'completed_at_first_sight', type: 'timestamptz', nullable: true })
  completedAtFirstSight: Date | null;

  @Column({ name: 'synced_at', type: 'timestamptz' })
  syncedAt: Date;
}
