import { DataSource } from 'typeorm';

/** What the services use of the pg pool under a data source (plain SQL on a hot path). */
export interface PostgresPool {
  query<Row>(query: PoolQuery): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** A statement for {@link PostgresPool}: `name` prepares it once per connection. */
export interface PoolQuery {
  name?: string;
  text: string;
  values?: unknown[];
  /** pg's client-side timeout of this one query (the pool's default otherwise). */
  query_timeout?: number;
}

/** The pg pool TypeORM made for `dataSource` (its driver's `master`). */
export function postgresPool(dataSource: DataSource): PostgresPool {
  return (dataSource.driver as unknown as { master: PostgresPool }).master;
}

/** A query abandoned at its deadline (its outcome, if it was sent, unknown). */
export class QueryDeadlineError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer from Postgres within ${timeoutMs} ms`);
    this.name = 'QueryDeadlineError';
  }
}

/**
 * Runs `query` on the pool and settles within `timeoutMs`: the wait for a connection counts, and
 * the statement has `timeoutMs` as its `query_timeout`, so a connection that stays silent is
 * closed rather than left holding the query. Rejects with {@link QueryDeadlineError} at the
 * deadline; a statement sent by then may still commit afterwards.
 */
export async function queryWithin<Row>(
  pool: PostgresPool,
  query: PoolQuery,
  timeoutMs: number,
): Promise<{ rows: Row[]; rowCount: number | null }> {
  const work = pool.query<Row>({ ...query, query_timeout: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new QueryDeadlineError(timeoutMs)), timeoutMs);
  });
  // After the deadline its outcome is nobody's: it must not surface as an unhandled rejection.
  work.catch(() => undefined);

  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
