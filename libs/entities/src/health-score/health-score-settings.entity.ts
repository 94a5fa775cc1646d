import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A location's health-score weights and thresholds (validated by the sync worker on write). */
@Entity('health_score_settings')
export class HealthScoreSettings {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ type: 'jsonb' })
  settings: Record<string, unknown>;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
