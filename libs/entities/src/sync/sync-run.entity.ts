import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export interface SyncRunCounts {
  contacts: number;
  tasks: number;
  notes: number;
  appointments: number;
  tombstoned: number;
}

/** A location's successful full syncs (not task sweeps): the next run plans from the last. */
export const FULL_SYNC_SUCCESS =
  "scope = 'location' AND status = 'succeeded' AND trigger <> 'task-sweep'";

/** One sync of a location (full) or of one contact: what it did and what it cost. */
@Entity('sync_runs')
@Index('IDX_sync_runs_location_started', ['locationId', 'startedAt'])
@Index('IDX_sync_runs_started', ['startedAt'])
// (location_id, started_at) WHERE FULL_SYNC_SUCCESS, made by its migration: TypeORM cannot
// compare a partial index's condition with the one Postgres stores.
@Index('IDX_sync_runs_location_full_success', { synchronize: false })
export class SyncRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  /** `location` or `contact`. */
  @Column({ type: 'varchar', length: 16 })
  scope: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64, nullable: true })
  contactId: string | null;

  /** install, nightly, manual, webhook. */
  @Column({ type: 'varchar', length: 16 })
  trigger: string;

  /** running, succeeded, failed. */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ type: 'jsonb' })
  counts: SyncRunCounts;

  @Column({ name: 'ghl_calls', type: 'integer', default: 0 })
  ghlCalls: number;

  @Column({ name: 'error_count', type: 'integer', default: 0 })
  errorCount: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'job_id', type: 'varchar', length: 128, nullable: true })
  jobId: string | null;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;
}
