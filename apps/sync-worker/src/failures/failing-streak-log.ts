import type { Logger } from '@nestjs/common';

import { describeError } from './job-errors';

/** While the tries keep failing, how long the log stays quiet between two reminders. */
export const FAILING_REMINDER_MS = 60_000;

/**
 * The log of something tried again and again on a timer (a poll, a check) through an outage of
 * Postgres or Redis: one warning when its tries start failing, then at most one reminder per
 * FAILING_REMINDER_MS with how long and how many tries it has lasted, and one line when a try
 * succeeds again. Logged on every try, an outage wrote a warning every poll interval.
 */
export class FailingStreakLog {
  private since: number | undefined;
  private tries = 0;
  private remindedAt = 0;

  /** `what` names the tries in the messages, e.g. `outbox relay polls`. */
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  failed(error: unknown): void {
    const now = Date.now();
    this.tries += 1;
    if (this.since === undefined) {
      this.since = now;
      this.remindedAt = now;
      this.logger.warn({ error: describeError(error) }, `${this.what} failing`);

      return;
    }
    if (now - this.remindedAt < FAILING_REMINDER_MS) return;

    this.remindedAt = now;
    this.logger.warn(
      { error: describeError(error), ...this.figures(now) },
      `${this.what} still failing`,
    );
  }

  succeeded(): void {
    if (this.since === undefined) return;

    this.logger.log(this.figures(Date.now()), `${this.what} recovered`);
    this.since = undefined;
    this.tries = 0;
  }

  private figures(now: number) {
    const since = this.since ?? now;

    return { failingSince: new Date(since), failingForMs: now - since, failedPolls: this.tries };
  }
}
