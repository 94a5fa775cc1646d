import { Client } from 'pg';

/** pg's error when a query's `query_timeout` passes (pinned by the spec beside this file). */
const QUERY_READ_TIMEOUT = 'Query read timeout';

type QueryCallback = (error: Error | null, result?: unknown) => void;
type QueryMethod = (this: Client, config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * pg's client, except that a query left without an answer past its `query_timeout` ends the
 * connection. pg alone only stops waiting: the query stays the connection's active one, the
 * connection goes back to the pool looking healthy, and every later query on it waits behind an
 * answer that may never come (a partition, or a failed-over primary whose old sockets stay
 * silent). Ended, the connection is dropped when it is released (pg-pool drops an ending
 * client), TypeORM's query runner included, and the next query gets a new one.
 *
 * A custom query object (`submit`: a cursor, a stream) is left as pg runs it; none is used here.
 */
export class QueryTimeoutClient extends Client {}

const pgQuery = Client.prototype.query as unknown as QueryMethod;

function queryEndingOnTimeout(
  this: Client,
  config: unknown,
  values?: unknown,
  callback?: unknown,
): unknown {
  if (isCustomQuery(config)) return pgQuery.call(this, config, values, callback);

  const [parameters, done] =
    typeof values === 'function' ? [undefined, values] : [values, callback];
  if (typeof done === 'function') {
    return pgQuery.call(this, config, parameters, endingOnTimeout(this, done as QueryCallback));
  }

  // The callback form even for a promise: the connection is ended before anyone learns of the
  // timeout, so that no caller can release it to the pool first.
  return new Promise((resolve, reject) => {
    const settle: QueryCallback = (error, result) => (error ? reject(error) : resolve(result));
    pgQuery.call(this, config, parameters, endingOnTimeout(this, settle));
  });
}

QueryTimeoutClient.prototype.query = queryEndingOnTimeout as unknown as Client['query'];

function endingOnTimeout(client: Client, callback: QueryCallback): QueryCallback {
  return (error, result) => {
    // end() destroys the socket at once while a query is active: nothing waits on the silence.
    if (isQueryTimeout(error)) client.end().catch(() => undefined);
    callback(error, result);
  };
}

/** Whether `error` is pg giving up on a query's answer (its `query_timeout` passed). */
export function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_READ_TIMEOUT;
}

function isCustomQuery(config: unknown): boolean {
  return typeof (config as { submit?: unknown } | null)?.submit === 'function';
}
