import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A job that failed its last attempt, kept where an operator can see and replay it. */
@Entity('parked_jobs')
@Index('IDX_parked_jobs_replayed_parked', ['replayedAt', 'parkedAt'])
export class ParkedJob {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'queue_name', type: 'varchar', length: 64 })
  queueName: string;

  @Column({ name: 'job_name', type: 'varchar', length: 64 })
  jobName: string;

  @Column({ name: 'job_id', type: 'varchar', length: 128, nullable: true })
  jobId: string | null;

  @Column({ name: 'location_id', type: 'varchar', length: 64, nullable: true })
  locationId: string | null;

  /** The job's payload: ids only, by the queue contract. */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ name: 'failed_reason', type: 'text' })
  failedReason: string;

  @Column({ name: 'attempts_made', type: 'integer' })
  attemptsMade: number;

  @CreateDateColumn({ name: 'parked_at', type: 'timestamptz' })
  parkedAt: Date;

  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt: Date | null;
}
