import { DelayedError, Job } from 'bullmq';

import type { LocationGate, LocationStanding } from '../connections/location-gate.service';
import { forQueue } from '../failures/job-errors';
import { LocationUnavailableError } from '../tokens/location-unavailable.error';

export type SkippedJob = { skipped: 'location-gone' };

/**
 * Runs a job's work for one location, or puts the job off while the location is paused (its
 * token needs re-auth): the job waits in the delayed set, keeps its attempts, and is not
 * hammered against the auth service or GHL. The gate records it, and promotes it as soon as
 * the location may run again.
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
  if (standing.kind === 'paused') return putOff(job, token, gate, standing.until);

  try {
    return await work(standing);
  } catch (error) {
    if (!(error instanceof LocationUnavailableError)) throw forQueue(error);

    const paused = await gate.pause(error, standing.version);

    return paused.kind === 'paused'
      ? putOff(job, token, gate, paused.until)
      : { skipped: 'location-gone' };
  }
}

/**
 * TODO: a job that read its location as paused just before the pause ended, and is recorded
 * just after the jobs put off were promoted, waits out its delay: the read, the move and the
 * record are three steps. The window is a few round trips wide, and the job still runs when its
 * delay ends.
 */
async function putOff(
  job: Job,
  token: string | undefined,
  gate: LocationGate,
  until: number,
): Promise<never> {
  await job.moveToDelayed(until, token);
  await gate.recordPutOff(job.data.locationId, job);

  throw new DelayedError();
}
