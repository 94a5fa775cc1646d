import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per location, zone and local calendar date on which its nightly sync ran: a second
 * firing for the same date (a DST switch, a redeployed scheduler) finds the row and does nothing.
 * The zone is part of the key: a location GHL moves to another zone has a new first midnight.
 */
@Entity('nightly_sync_dates')
export class NightlySyncDate {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  /** The IANA zone the run took its local date in: the location's, when it ran. */
  @PrimaryColumn({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;

  /** `YYYY-MM-DD` in that zone. */
  @PrimaryColumn({ name: 'local_date', type: 'date' })
  localDate: string;

  /** The job that claimed the date; its own retries may run again. */
  @Column({ name: 'job_id', type: 'varchar', length: 128 })
  jobId: string;

  @CreateDateColumn({ name: 'claimed_at', type: 'timestamptz' })
  claimedAt: Date;
}
