import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';

import { connectionSettings } from '@sm/entities';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { TokenRefreshService } from './token-refresh.service';

/** The channel the `notify_ghl_connection_changed` trigger announces on (see its migration). */
const CHANNEL = 'ghl_connection_changed';
const RECONNECT_DELAYS_MS = [100, 500, 2_000, 5_000];
/** A notice connection that does not answer a round trip within this long is given up. */
const ROUND_TRIP_TIMEOUT_MS = 1_000;

/**
 * Listens for Postgres' notices of changed connections and tokens, on a connection of its own,
 * and tells the token service which location to read again. While the connection is down the
 * service keeps nothing it read (notices may be missed); it reconnects with backoff.
 */
@Injectable()
export class ConnectionChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionChangeListener.name);
  private client: Client | undefined;
  private isStopping = false;
  private failures = 0;
  /** The round trip on its way, and the one that will follow it (see `caughtUp`). */
  private trip: Promise<void> | undefined;
  private nextTrip: Promise<void> | undefined;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServiceConfig,
    private readonly tokens: TokenRefreshService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.isStopping = true;
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Resolves once every notice committed before the call has been handled. Postgres sends a
   * session the notices pending for it before it answers the session's next query, so a round
   * trip on the notice connection that starts after the call is enough. The round trip is the
   * LISTEN again (a no-op for a channel listened to), so the session still reads as the notice
   * connection in `pg_stat_activity`. Callers arriving while one is on its way wait for the
   * next, which they share.
   */
  caughtUp(): Promise<void> {
    if (!this.trip) return (this.trip = this.roundTrip());
    this.nextTrip ??= this.trip.then(
      () => this.startNextTrip(),
      () => this.startNextTrip(),
    );

    return this.nextTrip;
  }

  private startNextTrip(): Promise<void> {
    this.nextTrip = undefined;

    return (this.trip = this.roundTrip());
  }

  private roundTrip(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('no notice connection'));

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error('notice connection unresponsive')),
        ROUND_TRIP_TIMEOUT_MS,
      );
    });
    const trip: Promise<void> = Promise.race([client.query(`LISTEN ${CHANNEL}`), timeout])
      .then(() => undefined)
      .catch((error: Error) => {
        this.lost(client, error);
        throw error;
      })
      .finally(() => {
        clearTimeout(timer);
        if (this.trip === trip) this.trip = undefined;
      });

    return trip;
  }

  private async connect(): Promise<void> {
    if (this.isStopping) return;
    // The services' connect timeout and keepalive: a connect to a silent host fails, and is
    // tried again, instead of hanging with the notices off for good.
    const client = new Client({
      ...connectionSettings(this.config),
      connectionString: this.config.DATABASE_URL,
    });
    client.on('notification', (notice) => this.tokens.onConnectionChanged(notice.payload ?? '*'));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      return this.lost(client, error as Error);
    }

    if (this.isStopping) return void client.end().catch(() => undefined);
    this.failures = 0;
    this.tokens.setChangeNotices(true, () => this.caughtUp());
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.isStopping) return;

    this.client = undefined;
    this.tokens.setChangeNotices(false);
    client.end().catch(() => undefined);
    const delay = RECONNECT_DELAYS_MS[Math.min(this.failures, RECONNECT_DELAYS_MS.length - 1)];
    this.failures += 1;
    this.logger.warn({ err: error?.message, retryInMs: delay }, 'connection change notices lost');
    setTimeout(() => void this.connect(), delay).unref();
  }
}
