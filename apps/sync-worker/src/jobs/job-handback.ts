import { DelayedError, Job } from 'bullmq';

/**
 * A location run that stopped at a safe point because its worker is shutting down: what it
 * committed stays, the rest is done by the job's next run. Thrown by the walks, caught by the
 * processor, which hands the job back to the queue.
 */
export class RunHandedBack extends Error {
  constructor() {
    super(
      'the worker is shutting down: the run stopped at a safe point and goes back to the queue',
    );
    this.name = 'RunHandedBack';
  }
}

/**
 * Puts a handed-back job back in line at once, where another replica (or this one, restarted)
 * takes it: a delayed move keeps its attempts, as a run cut short by a deploy is no failure.
 * A long first sync (hours at GHL's rate limits) cannot finish within a pod's grace period; left
 * to run, the pod would be killed mid-batch and the job found stalled only after its lock ran
 * out.
 */
export async function handBack(job: Job, token: string | undefined): Promise<never> {
  await job.moveToDelayed(Date.now(), token);

  throw new DelayedError();
}
