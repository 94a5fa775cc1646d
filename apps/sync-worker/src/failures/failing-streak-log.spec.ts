import { Logger } from '@nestjs/common';

import { FAILING_REMINDER_MS, FailingStreakLog } from './failing-streak-log';

/** The lines a logger was given, by level. */
class RecordingLogger extends Logger {
  readonly lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];

  override warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }

  override log(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
}

describe('the log of tries failing in a row', () => {
  let logger: RecordingLogger;
  let streak: FailingStreakLog;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-12-04T10:00:00Z') });
    logger = new RecordingLogger();
    streak = new FailingStreakLog(logger, 'outbox relay polls');
  });
  afterEach(() => jest.useRealTimers());

  /** `count` failed tries, `everyMs` apart. */
  const fail = (count: number, everyMs: number) => {
    for (let each = 0; each < count; each++) {
      streak.failed(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      jest.advanceTimersByTime(everyMs);
    }
  };

  it('warns once when the tries start failing, not on each of them', () => {
    fail(50, 200);

    expect(logger.lines.map((line) => line.message)).toEqual(['outbox relay polls failing']);
    expect(logger.lines[0].fields.error).toBe('Error: connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('reminds once a reminder period how long and how many tries it has lasted', () => {
    fail(1 + FAILING_REMINDER_MS / 200, 200);

    const [, reminder] = logger.lines;
    expect(logger.lines.map((line) => line.message)).toEqual([
      'outbox relay polls failing',
      'outbox relay polls still failing',
    ]);
    expect(reminder.fields).toMatchObject({
      failingForMs: FAILING_REMINDER_MS,
      failedPolls: 1 + FAILING_REMINDER_MS / 200,
      failingSince: new Date('2026-12-04T10:00:00Z'),
    });
  });

  it('says once that they recovered, and starts a new streak on the next failure', () => {
    fail(10, 200);

    streak.succeeded();
    streak.succeeded();
    fail(1, 200);

    expect(logger.lines.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'outbox relay polls failing'],
      ['info', 'outbox relay polls recovered'],
      ['warn', 'outbox relay polls failing'],
    ]);
    expect(logger.lines[1].fields).toMatchObject({ failingForMs: 2_000, failedPolls: 10 });
  });

  it('says nothing while the tries succeed', () => {
    streak.succeeded();

    expect(logger.lines).toEqual([]);
  });
});
