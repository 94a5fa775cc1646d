import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';

/** `YYYY-MM-DD` of an instant in an IANA zone. */
export function localDate(instant: number, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(instant));
}

/** When a scheduler meant a job to run: BullMQ keeps the planned time as `prevMillis`. */
export function plannedAt(job: Pick<Job, 'opts' | 'timestamp'>): number {
  const planned = (job.opts as { prevMillis?: number }).prevMillis;

  return typeof planned === 'number' ? planned : job.timestamp;
}

export interface NightlyClaim {
  locationId: string;
  /** The zone `date` is in: the location's when the job ran. */
  timeZone: string;
  date: string;
  jobId: string;
}

/**
 * One nightly run per location and local date. A cron at midnight can fire twice for one date
 * (a zone whose clocks fall back across midnight, a scheduler replaced with another pattern, a
 * job left over from before a redeploy); the first job to claim the date runs, its own retries
 * may run again, any other job for the date does nothing. A date is claimed in a zone: when GHL
 * moves a location west, the new zone's midnight comes hours after the old one's on the same
 * date, and runs (two runs that day beat a location left 32 hours without reconciliation).
 */
@Injectable()
export class NightlyGuard {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async claim(claim: NightlyClaim): Promise<boolean> {
    const claimed: { job_id: string }[] = await this.dataSource.query(
      `INSERT INTO nightly_sync_dates AS d (location_id, time_zone, local_date, job_id)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (location_id, time_zone, local_date) DO UPDATE SET job_id = d.job_id
       RETURNING job_id`,
      [claim.locationId, claim.timeZone, claim.date, claim.jobId],
    );

    return claimed[0]?.job_id === claim.jobId;
  }
}
