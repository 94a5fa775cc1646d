import { milliseconds } from './env-fields';

/**
 * How long every service waits on Postgres (applied by `dataSourceOptions` in @sm/entities), so
 * that no query hangs on a connection that went silent.
 */
export const databaseEnv = {
  /**
   * Postgres cancels a statement that runs longer (`statement_timeout`), lock waits included;
   * without an answer 5 s after that, the client closes the connection as dead. Migrations run
   * under it too.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(30_000),
  /** A new connection not ready within this fails, as does a wait for a free pooled one. */
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(5_000),
};
