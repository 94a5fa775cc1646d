import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A factor of a health score: what it is worth at most, what it gave, and why. */
export interface HealthScoreFactor {
  factor: string;
  weight: number;
  points: number;
  detail: Record<string, unknown>;
}

/** A contact's current health score, 0–100. */
@Entity('contact_health_scores')
@Index('IDX_contact_health_scores_location_score', ['locationId', 'score'])
export class ContactHealthScore {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  @Column({ type: 'integer' })
  score: number;

  @Column({ type: 'jsonb' })
  factors: HealthScoreFactor[];

  /** What recomputed it: sync, refresh, settings. */
  @Column({ type: 'varchar', length: 16 })
  trigger: string;

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt: Date;
}

/** Every score a contact had, appended when the score or its factors changed. */
@Entity('contact_health_score_history')
@Index('IDX_contact_health_score_history_contact', ['locationId', 'contactId', 'computedAt'])
export class ContactHealthScoreHistory {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  @Column({ type: 'integer' })
  score: number;

  @Column({ type: 'jsonb' })
  factors: HealthScoreFactor[];

  @Column({ type: 'varchar', length: 16 })
  trigger: string;

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt: Date;
}
