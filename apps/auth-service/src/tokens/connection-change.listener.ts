import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { TokenRefreshService } from './token-refresh.service';

/** The channel the `notify_ghl_connection_changed` trigger announces on (see its migration). */
const CHANNEL = 'ghl_connection_changed';
const RECONNECT_DELAYS_MS = [100, 500, 2_000, 5_000];

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

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.config.DATABASE_URL });
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

    this.failures = 0;
    this.tokens.setChangeNotices(true);
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
