import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';

import { CONNECTION_CHANGE_NOTICES, EVERY_LOCATION_CHANGED } from '@sm/entities';
import { PostgresNoticeListener } from '@sm/platform';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { TokenRefreshService } from './token-refresh.service';

/** A notice connection that does not answer a round trip within this long is given up. */
const ROUND_TRIP_TIMEOUT_MS = 1_000;

/**
 * Listens for Postgres' notices of changed connections and tokens, and tells the token service
 * which location to read again. While the notice connection is down the service keeps nothing
 * it read (notices may be missed); the connection comes back by itself.
 */
@Injectable()
export class ConnectionChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionChangeListener.name);
  private readonly notices: PostgresNoticeListener;
  /** The round trip on its way, and the one that will follow it (see `caughtUp`). */
  private trip: Promise<void> | undefined;
  private nextTrip: Promise<void> | undefined;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthServiceConfig,
    private readonly tokens: TokenRefreshService,
  ) {
    this.notices = new PostgresNoticeListener(config, CONNECTION_CHANGE_NOTICES, {
      logger: this.logger,
      onNotice: (payload) => this.tokens.onConnectionChanged(payload ?? EVERY_LOCATION_CHANGED),
      onListening: () => this.tokens.setChangeNotices(true, () => this.caughtUp()),
      onLost: () => this.tokens.setChangeNotices(false),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.notices.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.notices.stop();
  }

  /**
   * Resolves once every notice committed before the call has been handled: a round trip on the
   * notice connection that starts after the call is enough (see `listenAgain`). Callers
   * arriving while one is on its way wait for the next, which they share: one that started
   * before their call would not cover the notices committed since.
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
    const trip: Promise<void> = this.notices.listenAgain(ROUND_TRIP_TIMEOUT_MS).finally(() => {
      if (this.trip === trip) this.trip = undefined;
    });

    return trip;
  }
}
