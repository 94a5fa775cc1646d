import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A location's contact custom field definition, as GHL last listed it: what maps id to key. */
@Entity('location_custom_fields')
export class LocationCustomField {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /** GHL's `fieldKey`, e.g. `contact.roof_type`. */
  @Column({ name: 'field_key', type: 'varchar', length: 255 })
  fieldKey: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ name: 'data_type', type: 'varchar', length: 64, nullable: true })
  dataType: string | null;

  @Column({ name: 'loaded_at', type: 'timestamptz' })
  loadedAt: Date;
}
