import { ConnectionOptions, DefaultJobOptions, Queue } from 'bullmq';

import { redisOptionsFromUrl } from '@sm/queues';
import { TEST_REDIS_URL } from '@sm/testing';

export interface TestQueueOptions {
  prefix: string;
  redisUrl?: string;
  /** As the producer adds jobs: `DEFAULT_JOB_OPTIONS` for a queue whose retries a spec needs. */
  defaultJobOptions?: DefaultJobOptions;
}

/** A spec's own handles on the worker's queues, by name. */
export function openQueues<Name extends string>(
  names: readonly Name[],
  options: TestQueueOptions,
): Record<Name, Queue> {
  const connection = redisOptionsFromUrl(options.redisUrl ?? TEST_REDIS_URL) as ConnectionOptions;
  const open = (name: Name) =>
    new Queue(name, {
      connection,
      prefix: options.prefix,
      ...(options.defaultJobOptions ? { defaultJobOptions: options.defaultJobOptions } : {}),
    });

  return Object.fromEntries(names.map((name) => [name, open(name)])) as Record<Name, Queue>;
}

/** Removes the queues' jobs and keys from Redis, then closes them. */
export async function closeQueues(queues: Record<string, Queue> | undefined): Promise<void> {
  for (const queue of Object.values(queues ?? {})) {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
