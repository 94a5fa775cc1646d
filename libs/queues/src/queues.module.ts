import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';

import { DEFAULT_JOB_OPTIONS } from './job-options';
import { redisOptionsFromUrl } from './redis-connection';

export interface QueuesSettings {
  redisUrl: string;
  prefix: string;
  /** The queues this service produces to or consumes from. */
  queues: string[];
}

/** BullMQ for a Nest service: one Redis connection config, the platform's job defaults. */
@Module({})
export class QueuesModule {
  static forRoot({ redisUrl, prefix, queues }: QueuesSettings): DynamicModule {
    const registered = BullModule.registerQueue(...queues.map((name) => ({ name })));

    return {
      module: QueuesModule,
      global: true,
      imports: [
        BullModule.forRoot({
          connection: redisOptionsFromUrl(redisUrl) as ConnectionOptions,
          prefix,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
        registered,
      ],
      exports: [registered],
    };
  }
}
