import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A follow-up task kept on SolarMarket's side, made by a rule for a connection that may not
 * write contacts in GHL (no `contacts.write` scope). One per effect.
 */
@Entity('solarmarket_tasks')
@Index('IDX_solarmarket_tasks_location_contact', ['locationId', 'contactId'])
export class SolarmarketTask {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  @Column({ name: 'effect_id', type: 'uuid', unique: true })
  effectId: string;

  @Column({ name: 'rule_id', type: 'varchar', length: 64 })
  ruleId: string;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text', nullable: true })
  body: string | null;

  @Column({ name: 'assigned_to', type: 'varchar', length: 64, nullable: true })
  assignedTo: string | null;

  @Column({ name: 'due_date', type: 'timestamptz' })
  dueDate: Date;

  @Column({ type: 'boolean', default: false })
  completed: boolean;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
