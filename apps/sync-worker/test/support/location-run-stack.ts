import { DEFAULT_JOB_OPTIONS, QueueName } from '@sm/queues';

import type { SyncWorkerOverrides } from '../../src/app.module';
import { FULL_SCOPES } from './ghl-stand-in';
import { eventuallySucceededRun } from './sync-runs';
import { useSyncWorkerStack } from './sync-worker-stack';

export interface LocationRunStackSetup {
  name: string;
  serviceToken: string;
  locationId: string;
  contacts: number;
  env?: Record<string, string>;
  overrides?: SyncWorkerOverrides;
}

/**
 * The in-process worker over one location connected with every scope, for specs that start its
 * location runs (syncs, sweeps) themselves: the hourly sweep's schedule never fires, and GHL's
 * limits are out of the way. `run` adds a location-sync job and waits for its run to succeed.
 */
export function useLocationRunStack(setup: LocationRunStackSetup) {
  const stack = useSyncWorkerStack({
    name: setup.name,
    serviceToken: setup.serviceToken,
    ghl: { locations: { [setup.locationId]: setup.contacts }, scopes: FULL_SCOPES },
    connections: { locations: [setup.locationId], scopes: FULL_SCOPES.split(' ') },
    queues: [QueueName.LocationSync],
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
    overrides: setup.overrides,
    env: {
      LOG_LEVEL: 'warn',
      CHILD_FETCH_CONCURRENCY: '16',
      // The specs run the sweep themselves: the hourly one must not take a change first.
      TASK_SWEEP_CRON: '0 0 1 1 *',
      GHL_BURST_LIMIT: '1000000',
      ...setup.env,
    },
  });
  const run = async (name: string, data: Record<string, unknown> = {}) => {
    const queue = stack.queues[QueueName.LocationSync];
    const job = await queue.add(name, { locationId: setup.locationId, ...data });

    return eventuallySucceededRun(
      stack.dataSource,
      { jobId: job.id as string },
      45_000,
      `${name} to succeed`,
    );
  };

  return { stack, run };
}
