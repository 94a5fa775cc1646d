import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';

import { LoggingModule } from '@sm/logging';

import { SANDBOX_CONFIG } from './config/sandbox-config.token';
import { SandboxConfig } from './config/sandbox.config';
import { ChildReadsFastPath } from './contacts/child-reads-fast-path';
import { ContactActionsController } from './contacts/contact-actions.controller';
import { ContactActivityController } from './contacts/contact-activity.controller';
import { ContactActivityService } from './contacts/contact-activity.service';
import { ContactsController } from './contacts/contacts.controller';
import { ContactsService } from './contacts/contacts.service';
import { ChangesService } from './control/changes.service';
import { ControlController } from './control/control.controller';
import { ExportService } from './control/export.service';
import { StatsMiddleware } from './control/stats.middleware';
import { StatsService } from './control/stats.service';
import { SandboxStore } from './dataset/sandbox-store.service';
import { FaultsMiddleware } from './faults/faults.middleware';
import { FaultsService } from './faults/faults.service';
import { HealthController } from './health/health.controller';
import { LocationsController } from './locations/locations.controller';
import { GhlAccessGuard } from './oauth/ghl-access.guard';
import { OAuthController } from './oauth/oauth.controller';
import { OAuthService } from './oauth/oauth.service';
import { TokenStore } from './oauth/token-store.service';
import { RateLimitService } from './rate-limit/rate-limit.service';
import { WebhookSender } from './webhooks/webhook-sender.service';
import { WebhookSigner } from './webhooks/webhook-signer.service';

/** Routes that are not GHL's: no faults, no counting. */
const SANDBOX_OWN_ROUTES = [
  { path: '_sandbox/{*rest}', method: RequestMethod.ALL },
  { path: 'health/{*rest}', method: RequestMethod.ALL },
];

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: SandboxConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: 'ghl-sandbox', level: config.LOG_LEVEL }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [
        HealthController,
        OAuthController,
        LocationsController,
        ContactsController,
        ContactActivityController,
        ContactActionsController,
        ControlController,
      ],
      providers: [
        { provide: SANDBOX_CONFIG, useValue: config },
        { provide: APP_GUARD, useClass: GhlAccessGuard },
        SandboxStore,
        FaultsService,
        RateLimitService,
        StatsService,
        TokenStore,
        OAuthService,
        ContactsService,
        ContactActivityService,
        WebhookSigner,
        WebhookSender,
        ChangesService,
        ExportService,
        FaultsMiddleware,
        ChildReadsFastPath,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(StatsMiddleware, FaultsMiddleware)
      .exclude(...SANDBOX_OWN_ROUTES)
      .forRoutes({ path: '{*rest}', method: RequestMethod.ALL });
  }
}
