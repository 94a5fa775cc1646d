import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';

import { QueueName, RefreshTokenJob } from '@sm/queues';

import { ConnectionUnavailableError } from './token-errors';
import { TokenRefreshService } from './token-refresh.service';

/** The proactive refresh, and the retry of paused locations. */
@Processor(QueueName.TokenRefresh)
export class TokenRefreshProcessor extends WorkerHost {
  private readonly logger = new Logger(TokenRefreshProcessor.name);

  constructor(private readonly tokens: TokenRefreshService) {
    super();
  }

  async process(job: Job<RefreshTokenJob>): Promise<void> {
    const { locationId } = job.data;
    try {
      await this.tokens.refreshForSchedule(locationId);
    } catch (error) {
      const isReauth =
        error instanceof ConnectionUnavailableError && error.reason === 'reauth_required';
      // A connection needing a person is final: the alert is out, retrying cannot help.
      if (isReauth) return;
      this.logger.warn({ locationId, jobId: job.id, err: (error as Error).name }, 'retrying');
      throw error;
    }
  }
}
