import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One effect of a rule on one subject (a follow-up task, a notice, a reminder sent), claimed by
 * inserting this row before acting: its unique key is what makes the effect happen once under
 * duplicate webhooks, redeliveries and retries.
 */
@Entity('automation_effects')
@Index('UQ_automation_effects_subject', ['locationId', 'ruleId', 'subjectKey', 'actionIndex'], {
  unique: true,
})
@Index('IDX_automation_effects_location_contact', ['locationId', 'contactId'])
export class AutomationEffect {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ name: 'rule_id', type: 'varchar', length: 64 })
  ruleId: string;

  /** What the effect is about: `contact:<id>`, `task:<id>`, `appointment:<id>:<status>`… */
  @Column({ name: 'subject_key', type: 'varchar', length: 200 })
  subjectKey: string;

  /** The action's position in the rule. */
  @Column({ name: 'action_index', type: 'smallint' })
  actionIndex: number;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId: string;

  /** The action type: create-follow-up, notify-team, reminder, custom:<name>. */
  @Column({ type: 'varchar', length: 80 })
  kind: string;

  /** pending (claimed, not done yet) or done. */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** While a worker acts on a pending effect; a retry takes it over once the lease ran out. */
  @Column({ name: 'claimed_at', type: 'timestamptz' })
  claimedAt: Date;

  /** Fixed when claimed, so a retried follow-up carries the same due date (and is found). */
  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt: Date | null;

  /** What was done: `{ ghlTaskId }`, `{ solarmarketTaskId }`, `{ jobId }`. */
  @Column({ type: 'jsonb', nullable: true })
  outcome: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'done_at', type: 'timestamptz', nullable: true })
  doneAt: Date | null;
}
