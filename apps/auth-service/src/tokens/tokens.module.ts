import { Module } from '@nestjs/common';

import { AccessTokenController } from './access-token.controller';
import { AccessTokenRoute } from './access-token.route';
import { ConnectionChangeListener } from './connection-change.listener';
import { KeyRingCheck } from './key-ring-check.service';
import { RefreshScheduler } from './refresh-scheduler.service';
import { ServiceTokenGuard } from './service-token.guard';
import { TokenRefreshProcessor } from './token-refresh.processor';
import { TokenRefreshService } from './token-refresh.service';
import { TokenStore } from './token-store.service';
import { UnreadableTokenAlerts } from './unreadable-token-alerts.service';

@Module({
  controllers: [AccessTokenController],
  providers: [
    AccessTokenRoute,
    ConnectionChangeListener,
    KeyRingCheck,
    TokenStore,
    TokenRefreshService,
    RefreshScheduler,
    ServiceTokenGuard,
    TokenRefreshProcessor,
    UnreadableTokenAlerts,
  ],
  exports: [TokenStore, TokenRefreshService, RefreshScheduler, ServiceTokenGuard],
})
export class TokensModule {}
