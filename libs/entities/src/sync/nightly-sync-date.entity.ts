import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per location and local calendar date on which its nightly sync ran: a second firing
 * for the same date (a DST switch, a redeployed scheduler) finds the row and does nothing.
 */
@Entity('nightly_sync_dates')
export class NightlySyncDate {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  /** `YYYY-MM-DD` in the location's zone. */
  @PrimaryColumn({ name: 'local_date', type: 'date' })
  localDate: string;

  /** The job that claimed the date; its own retries may run again. */
  @Column({ name: 'job_id', type: 'varchar', length: 128 })
  jobId: string;

  @CreateDateColumn({ name: 'claimed_at', type: 'timestamptz' })
  claimedAt: Date;
}
