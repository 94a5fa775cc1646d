import { describeError, forQueue } from './job-errors';

/** What a failed query throws for a value Postgres refused (SQLSTATE 22P02), as pg shapes it. */
function refusedValue(value: string): Error {
  return Object.assign(new Error(`invalid input syntax for type uuid: "${value}"`), {
    name: 'QueryFailedError',
    code: '22P02',
  });
}

describe('job errors', () => {
  const email = 'jane.doe@example.com';

  it('describes a refused value without the value', () => {
    expect(describeError(refusedValue(email))).toBe(
      'QueryFailedError: invalid input syntax for type uuid: "[redacted]"',
    );
    expect(describeError(new Error('GHL answered 502'))).toBe('Error: GHL answered 502');
  });

  it('hands BullMQ a refused value without it (its failure and stack are stored)', () => {
    const queued = forQueue(refusedValue(email)) as Error;

    expect(queued.message).not.toContain(email);
    expect(queued.stack).not.toContain(email);
    expect(queued.message).toContain('invalid input syntax for type uuid');
  });

  it('hands BullMQ any other error as it was thrown', () => {
    const error = new Error('redis connection lost');

    expect(forQueue(error)).toBe(error);
  });
});
