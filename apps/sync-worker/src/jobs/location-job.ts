import { DelayedError, Job } from 'bullmq';

import type { LocationGate, LocationStanding } from '../connections/location-gate.service';
import { forQueue } from '../failures/job-errors';
import { LocationUnavailableError } from '../tokens/location-unavailable.error';

export type SkippedJob = { skipped: 'location-gone' };

/**
 * Runs a job's work for one location, or puts the job off while the location is paused (its
 * token needs re-auth): the job waits in the delayed set, keeps its attempts, and is not
 * hammered against the auth service or GHL.
 */
export async function runForLocation<T>(
  job: Job,
  token: string | undefined,
  gate: LocationGate,
  work: (standing: Extract<LocationStanding, { kind: 'active' }>) => Promise<T>,
): Promise<T | SkippedJob> {
  const locationId: string = job.data.locationId;
  const standing = await gate.standing(locationId);
  if (standing.kind === 'gone') return { skipped: 'location-gone' };
  if (standing.kind === 'paused') return putOff(job, token, standing.until);

  try {
    return await work(standing);
  } catch (error) {
    if (!(error instanceof LocationUnavailableError)) throw forQueue(error);

    const paused = gate.pause(error);

    return paused.kind === 'paused'
      ? putOff(job, token, paused.until)
      : { skipped: 'location-gone' };
  }
}

async function putOff(job: Job, token: string | undefined, until: number): Promise<never> {
  await job.moveToDelayed(until, token);

  throw new DelayedError();
}
