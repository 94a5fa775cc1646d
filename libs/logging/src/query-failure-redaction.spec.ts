import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { DataSource, QueryFailedError } from 'typeorm';

import { loggerOptions } from './create-logger';
import { errorText } from './redaction';
import { LoggingModule } from './logging.module';

const EMAIL = 'jane.doe.logged@example.com';
const PHONE = '+15550100777';
const SECRET = 'tok-secret-never-logged-91';
const INSERT_PERSON = 'INSERT INTO people (email, phone) VALUES ($1, $2)';
/** The test kit's server; its helpers are not imported (the test kit depends on this lib). */
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** An empty scratch database of this file's own, dropped after it. */
async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sm_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const adminQuery = async (sql: string) => {
    const admin = await new DataSource({ type: 'postgres', url: POSTGRES_URL }).initialize();
    await admin.query(sql).finally(() => admin.destroy());
  };
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;

  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });

  return { lines, destination };
}

async function failureOf(work: Promise<unknown>): Promise<QueryFailedError> {
  const error = await work.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof QueryFailedError)) throw new Error('the query did not fail');

  return error;
}

describe('log lines of a failed query', () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let duplicate: QueryFailedError;
  let divisionByZero: QueryFailedError;
  let badUuid: QueryFailedError;
  let badJson: QueryFailedError;
  let quotedQuote: QueryFailedError;
  let raised: QueryFailedError;

  beforeAll(async () => {
    database = await scratchDatabase();
    db = await new DataSource({ type: 'postgres', url: database.url }).initialize();
    await db.query('CREATE TABLE people (email text UNIQUE, phone text)');
    await db.query(INSERT_PERSON, [EMAIL, PHONE]);
    duplicate = await failureOf(db.query(INSERT_PERSON, [EMAIL, PHONE]));
    divisionByZero = await failureOf(db.query('SELECT $1::text AS token, 1 / 0', [SECRET]));
    badUuid = await failureOf(db.query('SELECT $1::uuid', [EMAIL]));
    badJson = await failureOf(db.query('SELECT $1::jsonb', [`{"t": "${PHONE} \\u0000"}`]));
    // Postgres does not escape a quote inside the value it quotes.
    quotedQuote = await failureOf(db.query('SELECT $1::uuid', [`x" ${EMAIL} "y`]));
    await db.query(`CREATE FUNCTION refuse() RETURNS int LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$`);
    raised = await failureOf(db.query('SELECT refuse()'));
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('is a real failure that carries the values (what the logger must hide)', () => {
    expect(duplicate.parameters).toEqual([EMAIL, PHONE]);
    expect(JSON.stringify(duplicate.driverError)).toContain(EMAIL);
    expect(divisionByZero.parameters).toEqual([SECRET]);
  });

  it('keeps the SQL, message and SQLSTATE, at every depth the services log errors', () => {
    const { lines, destination } = capture();
    const logger = pino(loggerOptions({ service: 'test', level: 'info' }), destination);
    const wrapped = new Error('location sync failed', { cause: duplicate });
    const batch = new AggregateError([divisionByZero], 'token batch failed');

    logger.error({ err: duplicate, locationId: 'loc-1' }, 'contact upsert failed');
    logger.error(divisionByZero);
    logger.warn({ err: wrapped, failures: [{ failure: divisionByZero }] }, 'sync failed');
    logger.error({ err: batch }, 'token batch failed');

    const written = lines.join('\n');
    for (const value of [EMAIL, PHONE, SECRET]) expect(written).not.toContain(value);
    const [upsert, token, nested, aggregate] = lines.map((line) => JSON.parse(line));
    expect(upsert.err).toMatchObject({
      type: 'QueryFailedError',
      query: INSERT_PERSON,
      message: expect.stringContaining('duplicate key value violates unique constraint'),
      code: '23505',
      parameters: '[redacted]',
    });
    expect(upsert.locationId).toBe('loc-1');
    expect(token.err).toMatchObject({ message: 'division by zero', parameters: '[redacted]' });
    expect(nested.err.message).toContain('duplicate key value violates unique constraint');
    expect(nested.failures[0].failure).toMatchObject({ code: '22012', parameters: '[redacted]' });
    expect(aggregate.err.aggregateErrors[0]).toMatchObject({
      query: 'SELECT $1::text AS token, 1 / 0',
      parameters: '[redacted]',
    });
    expect(duplicate.parameters).toEqual([EMAIL, PHONE]);
  });

  it("hides the values a refusal quotes in its message or locates in 'where'", () => {
    const { lines, destination } = capture();
    const logger = pino(loggerOptions({ service: 'test', level: 'info' }), destination);

    logger.error({ err: badUuid }, 'lookup failed');
    logger.error({ err: badJson }, 'tuning not stored');

    expect(badUuid.message).toContain(EMAIL);
    expect(`${(badJson.driverError as { where?: string }).where}`).toContain(PHONE);
    const written = lines.join('\n');
    for (const value of [EMAIL, PHONE]) expect(written).not.toContain(value);
    const [uuid, json] = lines.map((line) => JSON.parse(line));
    expect(uuid.err).toMatchObject({
      code: '22P02',
      message: 'invalid input syntax for type uuid: "[redacted]"',
    });
    expect(json.err).toMatchObject({ code: '22P05', where: '[redacted]' });
  });

  it("hides a quoted value whole, and keeps another error's where (a trigger's line)", () => {
    const { lines, destination } = capture();
    const logger = pino(loggerOptions({ service: 'test', level: 'info' }), destination);

    logger.error({ err: quotedQuote }, 'lookup failed');
    logger.error({ err: raised }, 'trigger failed');

    expect(lines.join('\n')).not.toContain(EMAIL);
    const [quoted, trigger] = lines.map((line) => JSON.parse(line));
    expect(quoted.err.message).toBe('invalid input syntax for type uuid: "[redacted]"');
    expect(trigger.err.where).toMatch(/^PL\/pgSQL function refuse\(\) line \d+ at RAISE/);
  });

  it('errorText gives an error as one line, without the value a data exception quotes', () => {
    expect(errorText(badUuid)).toBe(
      'QueryFailedError: invalid input syntax for type uuid: "[redacted]"',
    );
    expect(errorText(duplicate)).toContain('duplicate key value violates unique constraint');
    expect(errorText('plain')).toBe('plain');
  });

  it('hides them when Nest logs a request that failed on the query', async () => {
    const { lines, destination } = capture();
    @Controller('contacts')
    class FailingController {
      constructor(private readonly logger: PinoLogger) {}

      @Get()
      list() {
        this.logger.error({ err: duplicate }, 'contact list failed');
        throw duplicate;
      }
    }
    @Module({
      imports: [LoggingModule.forRoot({ service: 'logging-spec', level: 'info', destination })],
      controllers: [FailingController],
    })
    class FailingModule {}
    const app: INestApplication = await NestFactory.create(FailingModule, { bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');

    try {
      const response = await fetch(`${await app.getUrl()}/contacts`);
      await new Promise((resolve) => setImmediate(resolve));

      expect(response.status).toBe(500);
    } finally {
      await app.close();
    }
    const written = lines.join('\n');
    for (const value of [EMAIL, PHONE]) expect(written).not.toContain(value);
    const failures = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.err?.type === 'QueryFailedError');
    expect(failures.map((entry) => entry.msg)).toEqual([
      'contact list failed',
      expect.stringContaining('duplicate key value violates unique constraint'),
    ]);
    for (const { err } of failures) {
      expect(err).toMatchObject({ query: INSERT_PERSON, parameters: '[redacted]', code: '23505' });
    }
  });
});
