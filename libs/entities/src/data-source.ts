import { type ClientConfig, defaults as pgDefaults } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';

import { loadConfig, MAX_TIMER_MS, SharedConfig, sharedEnvSchema } from '@sm/config';

import { ALL_ENTITIES } from './entities';
import { ALL_MIGRATIONS } from './migrations';
import { QueryTimeoutClient } from './query-timeout-client';

/**
 * pg writes a Date parameter in the process' own zone, its offset cut to whole minutes. Before a
 * zone's standard time its offset had seconds (Los Angeles −07:52:58 until 1883), and such a
 * Date reached Postgres as another instant: a timeline cursor in 1800 read the same page again
 * forever under TZ=America/Los_Angeles. Written in UTC, every Date is its own instant under any
 * TZ. Every column the services bind a Date to is a `timestamptz` (a `date` gets a string).
 */
pgDefaults.parseInputDatesAsUTC = true;

/** How long the services wait on Postgres: `DATABASE_*_TIMEOUT_MS` (README, configuration). */
export type DatabaseTimeouts = Pick<
  SharedConfig,
  'DATABASE_STATEMENT_TIMEOUT_MS' | 'DATABASE_CONNECT_TIMEOUT_MS'
>;

/**
 * How much longer than Postgres' own statement timeout the client waits for an answer before it
 * takes the connection for dead: time for the server's cancel to come back over a slow network.
 */
export const ANSWER_MARGIN_MS = 5_000;
const POOL_SIZE = 10;
/** An idle pooled connection is closed after this (also how long a dead idle one can linger). */
const IDLE_TIMEOUT_MS = 10_000;
/** Idle time before the kernel's first TCP keepalive probe (its interval and count then apply). */
const KEEPALIVE_IDLE_MS = 10_000;

/**
 * The one Postgres setup of every service. The schema changes only through migrations:
 * `synchronize` stays off, and services refuse to start while a migration is pending.
 */
export function dataSourceOptions(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = defaultTimeouts(),
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    ...driverOptions(timeouts),
  };
}

export function createDataSource(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = defaultTimeouts(),
): DataSource {
  return new DataSource(dataSourceOptions(databaseUrl, timeouts));
}

/**
 * What keeps a connection from hanging forever on a socket that went silent (a partition, a
 * failed-over primary whose old sockets get no reset): a connect timeout; Postgres cancelling a
 * statement past `DATABASE_STATEMENT_TIMEOUT_MS` (the connection stays usable); past that and
 * {@link ANSWER_MARGIN_MS}, the client giving up on the answer and closing the connection
 * ({@link QueryTimeoutClient}), so that the pool opens a new one; TCP keepalive for a connection
 * held idle (a session lock, a transaction waiting on GHL).
 *
 * TODO: Postgres notices a client that vanished mid-transaction only by its own TCP keepalive
 * (the OS default is two hours), holding that transaction's row locks until then. Other
 * sessions' waits are bounded by the statement timeout, so nothing hangs, but a platform team
 * should set `tcp_keepalives_idle` on the server (k8s/README.md); setting it per session would
 * need a startup parameter some poolers refuse.
 */
function driverOptions(timeouts: DatabaseTimeouts) {
  const statementTimeoutMs = timeouts.DATABASE_STATEMENT_TIMEOUT_MS;

  return {
    poolSize: POOL_SIZE,
    connectTimeoutMS: timeouts.DATABASE_CONNECT_TIMEOUT_MS,
    extra: {
      ...connectionSettings(timeouts),
      Client: QueryTimeoutClient,
      statement_timeout: statementTimeoutMs,
      query_timeout: Math.min(statementTimeoutMs + ANSWER_MARGIN_MS, MAX_TIMER_MS),
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
    },
  };
}

/**
 * The connect timeout and keepalive of the services' connections, for a `pg` client a service
 * opens of its own (the auth service's change notices).
 */
export function connectionSettings(timeouts: DatabaseTimeouts = defaultTimeouts()): ClientConfig {
  return {
    connectionTimeoutMillis: timeouts.DATABASE_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
  };
}

/** The defaults of the shared configuration, for callers without a service's (tests, tools). */
function defaultTimeouts(): DatabaseTimeouts {
  return loadConfig(sharedEnvSchema, {});
}

/** Creates the database named in the URL when it does not exist yet (a developer's first run). */
export async function ensureDatabaseExists(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = defaultTimeouts(),
): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new DataSource({
    type: 'postgres',
    url: url.toString(),
    ...driverOptions(timeouts),
  });
  await admin.initialize();
  try {
    const rows = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.destroy();
  }
}

/**
 * Applies pending migrations, each in a transaction, under the statement timeout: a migration
 * that needs longer fails and rolls back, and is run again with a larger
 * `DATABASE_STATEMENT_TIMEOUT_MS`.
 */
export async function runMigrations(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = defaultTimeouts(),
): Promise<string[]> {
  const dataSource = createDataSource(databaseUrl, timeouts);
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });

    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Fails fast at boot: a service must not run against a schema older than its code. */
export async function assertNoPendingMigrations(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) {
    throw new Error('A database migration is pending: run `npm run migrate` first.');
  }
}
