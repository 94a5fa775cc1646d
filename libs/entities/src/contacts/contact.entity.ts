import { Column, Entity, PrimaryColumn } from 'typeorm';

/** SolarMarket's record of one GHL contact, keyed by location. */
@Entity('contacts')
export class Contact {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'first_name', type: 'text', nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName: string | null;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  /** E.164 without the extension where GHL's value is a valid number, else as GHL sent it. */
  @Column({ type: 'text', nullable: true })
  phone: string | null;

  /** The extension written after a valid number (`ext. 89` → `89`); null when there is none. */
  @Column({ name: 'phone_extension', type: 'text', nullable: true })
  phoneExtension: string | null;

  @Column({ name: 'company_name', type: 'text', nullable: true })
  companyName: string | null;

  @Column({ type: 'text', nullable: true })
  source: string | null;

  @Column({ type: 'text', nullable: true })
  type: string | null;

  @Column({ name: 'assigned_to', type: 'varchar', length: 64, nullable: true })
  assignedTo: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone: string | null;

  @Column({ type: 'boolean', default: false })
  dnd: boolean;

  @Column({ name: 'dnd_settings', type: 'jsonb', nullable: true })
  dndSettings: Record<string, unknown> | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  /** GHL custom field values, by field id: `{ [fieldId]: value }`. */
  @Column({ name: 'custom_fields', type: 'jsonb', default: () => "'{}'" })
  customFields: Record<string, unknown>;

  /** The same values by the field's key (`contact.roof_type`), where the definition is known. */
  @Column({ name: 'custom_fields_by_key', type: 'jsonb', default: () => "'{}'" })
  customFieldsByKey: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  address1: string | null;

  @Column({ type: 'text', nullable: true })
  city: string | null;

  @Column({ type: 'text', nullable: true })
  state: string | null;

  @Column({ type: 'text', nullable: true })
  country: string | null;

  @Column({ name: 'postal_code', type: 'text', nullable: true })
  postalCode: string | null;

  @Column({ type: 'text', nullable: true })
  website: string | null;

  @Column({ name: 'date_of_birth', type: 'text', nullable: true })
  dateOfBirth: string | null;

  @Column({ name: 'business_id', type: 'varchar', length: 64, nullable: true })
  businessId: string | null;

  @Column({ name: 'ghl_date_added', type: 'timestamptz', nullable: true })
  ghlDateAdded: Date | null;

  @Column({ name: 'ghl_date_updated', type: 'timestamptz', nullable: true })
  ghlDateUpdated: Date | null;

  /**
   * The version this row holds: GHL's dateUpdated, or the fetch time where GHL gives none. A
   * write carrying an older version is ignored.
   */
  @Column({ name: 'source_version_at', type: 'timestamptz' })
  sourceVersionAt: Date;

  /** Set when GHL deleted the contact (a tombstone); the row is kept for history. */
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

  /** The contact version at which its tasks, notes and appointments were last fetched whole. */
  @Column({ name: 'children_version_at', type: 'timestamptz', nullable: true })
  childrenVersionAt: Date | null;

  /** When they were last fetched; the children refresh reads the oldest again. */
  @Column({ name: 'children_fetched_at', type: 'timestamptz', nullable: true })
  childrenFetchedAt: Date | null;
}
