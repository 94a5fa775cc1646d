import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One message to one channel. Its dedupe key makes it be sent once however often it is asked. */
@Entity('notifications')
@Index('IDX_notifications_location_created', ['locationId', 'createdAt'])
export class Notification {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 200, unique: true })
  dedupeKey: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64, nullable: true })
  locationId: string | null;

  /** `team` or `admin`. */
  @Column({ type: 'varchar', length: 16 })
  audience: string;

  /** `slack`, `email`, `webhook`. */
  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Column({ type: 'varchar', length: 64 })
  kind: string;

  /** pending, delivered, failed. */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /**
   * What the notification says, channel-neutral (summary, labelled fields, ids), as the
   * notification service rendered it when the row was created.
   */
  @Column({ type: 'jsonb', nullable: true })
  message: Record<string, unknown> | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /**
   * E-mail: the recipients that took the message, once a try was refused for some others; a
   * retry for those does not mail these again. Null while no recipient was refused.
   */
  @Column({ name: 'accepted_recipients', type: 'text', array: true, nullable: true })
  acceptedRecipients: string[] | null;

  /**
   * E-mail: the recipients that refused the message for good (an SMTP 5xx), and, once the row
   * failed, those still deferring it (a 4xx) when its tries ran out. Null while none has.
   */
  @Column({ name: 'refused_recipients', type: 'text', array: true, nullable: true })
  refusedRecipients: string[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
