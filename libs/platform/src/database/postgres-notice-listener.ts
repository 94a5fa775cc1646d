import type { LoggerService } from '@nestjs/common';
import { Client } from 'pg';

import { connectionSettings, DatabaseTimeouts } from '@sm/entities';

/**
 * The wait before each connect after a loss: the first loss in a row waits the first, and every
 * loss past the last entry waits the last. Short at first, as a terminated backend or a
 * failover is usually back at once; capped, so that the notices return soon after an outage.
 */
export const NOTICE_RECONNECT_DELAYS_MS = [100, 500, 2_000, 5_000];

/** Where to connect: the service's URL and its connect timeout (see `connectionSettings`). */
export type NoticeDatabaseConfig = DatabaseTimeouts & { DATABASE_URL: string };

export interface NoticeChannel {
  /** The channel to LISTEN on: an identifier, written into the statement as it is. */
  channel: string;
  /** What the notices are in the log lines ("<label> lost", "<label> back"). */
  label: string;
  /** How the session reads in `pg_stat_activity`; pg's default (none) when left out. */
  applicationName?: string;
}

/** Who is told what the listener hears, and whose logger it writes to. */
export interface NoticeListenerOwner {
  logger: Pick<LoggerService, 'log' | 'warn'>;
  /** Each notice on the channel, with its payload (undefined when it had none). */
  onNotice(payload: string | undefined): void;
  /**
   * Listening on a new connection: the first, or again after a loss. The notices sent while
   * there was none were missed; whatever they would have said must be read afresh.
   */
  onListening(): void;
  /** The connection is gone: notices are missed until the next `onListening`. */
  onLost?(): void;
}

/**
 * A Postgres connection of its own that LISTENs on one channel. Postgres delivers a notice only
 * to the sessions listening when it is committed, and a pooled connection may be handed to
 * someone else at any time, hence a dedicated one. Any loss of it (an error, or its end: a
 * terminated backend, a restart, a network cut) is told to the owner and followed by a
 * reconnect with backoff, until `stop()`.
 *
 * Only an error's message is logged, never the error or the client: the client's settings hold
 * the URL's password.
 */
export class PostgresNoticeListener {
  private client: Client | undefined;
  private isStopping = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: NoticeDatabaseConfig,
    private readonly notices: NoticeChannel,
    private readonly owner: NoticeListenerOwner,
  ) {}

  /** Connects and listens; resolves after the first try, listening or with a reconnect due. */
  start(): Promise<void> {
    return this.connect();
  }

  /** Closes the connection; nothing is told to the owner and no reconnect follows. */
  async stop(): Promise<void> {
    this.isStopping = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * Sends the LISTEN again on the current connection (a no-op for Postgres, and the session
   * still reads as the listener in `pg_stat_activity`), and resolves once it is answered.
   * Postgres sends a session the notices pending for it before it answers the session's next
   * statement, so every notice committed before the call has reached `onNotice` by then.
   * Rejects when there is no connection, or no answer within `timeoutMs`; the connection is
   * then taken for lost.
   */
  listenAgain(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('no notice connection'));

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('notice connection unresponsive')), timeoutMs);
    });

    return Promise.race([client.query(this.listenStatement()), timeout])
      .then(() => undefined)
      .catch((error: Error) => {
        this.lost(client, error);
        throw error;
      })
      .finally(() => clearTimeout(timer));
  }

  private async connect(): Promise<void> {
    if (this.isStopping) return;
    // The services' connect timeout and keepalive: a connect to a silent host fails, and is
    // tried again, instead of hanging with the notices off for good.
    const client = new Client({
      ...connectionSettings(this.config),
      connectionString: this.config.DATABASE_URL,
      application_name: this.notices.applicationName,
    });
    client.on('notification', (notice) => this.onNotice(notice.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    // Set before the connect, so that a stop() meanwhile ends this client too.
    this.client = client;
    try {
      await client.connect();
      await client.query(this.listenStatement());
    } catch (error) {
      return this.lost(client, error as Error);
    }

    if (this.isStopping) return void client.end().catch(() => undefined);
    if (this.failures > 0) this.owner.logger.log(`${this.notices.label} back`);
    this.failures = 0;
    this.owner.onListening();
  }

  private onNotice(payload: string | undefined): void {
    if (this.isStopping) return;

    this.owner.onNotice(payload);
  }

  /** The first report of a client's loss counts; its later error or end is the same loss. */
  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.isStopping) return;

    this.client = undefined;
    this.owner.onLost?.();
    client.end().catch(() => undefined);
    const delays = NOTICE_RECONNECT_DELAYS_MS;
    const delay = delays[Math.min(this.failures, delays.length - 1)];
    this.failures += 1;
    const fields = { err: error?.message, retryInMs: delay };
    this.owner.logger.warn(fields, `${this.notices.label} lost`);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private listenStatement(): string {
    return `LISTEN ${this.notices.channel}`;
  }
}
