import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A GHL note on a contact. */
@Entity('contact_notes')
@Index('IDX_contact_notes_location_contact', ['locationId', 'contactId'])
export class Note {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  @Column({ type: 'text', nullable: true })
  body: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 64, nullable: true })
  userId: string | null;

  @Column({ name: 'ghl_date_added', type: 'timestamptz', nullable: true })
  ghlDateAdded: Date | null;

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

  @Column({ name: 'synced_at', type: 'timestamptz' })
  syncedAt: Date;
}
