import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A location's choice for one automation rule (a built-in template or an operator's rule),
 * made through the admin API. It wins over the operator's automation file.
 */
@Entity('automation_rule_settings')
export class AutomationRuleSetting {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @PrimaryColumn({ name: 'rule_id', type: 'varchar', length: 64 })
  ruleId: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** The tuning: `{ trigger?, conditions?, actions? }`, validated against the rule schema. */
  @Column({ type: 'jsonb', nullable: true })
  overrides: Record<string, unknown> | null;

  /** When the rule was last switched on: contacts created before it do not count as new. */
  @Column({ name: 'enabled_at', type: 'timestamptz', nullable: true })
  enabledAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
