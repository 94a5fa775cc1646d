import { DynamicModule, Global, Module, Provider } from '@nestjs/common';

import { LoggingModule } from '@sm/logging';
import { DatabaseModule, HealthModule } from '@sm/platform';
import { QueueName, QueuesModule } from '@sm/queues';

import { AUTH_CONFIG } from './config/auth-config.token';
import { AuthServiceConfig } from './config/auth-service.config';
import { ConnectionsModule } from './connections/connections.module';
import { TokenCipher } from './crypto/token-cipher';
import { OAUTH_API, oauthApiProviders } from './oauth/oauth-api.provider';
import { OAuthModule } from './oauth/oauth.module';
import { TokensModule } from './tokens/tokens.module';

/** The queues the auth service produces to or consumes from. */
export const AUTH_SERVICE_QUEUES = [
  QueueName.TokenRefresh,
  QueueName.ConnectionEvents,
  QueueName.LocationSync,
  QueueName.Notifications,
];

/** The config, the token cipher and the GHL OAuth client, for every module of the service. */
@Global()
@Module({})
class AuthCoreModule {
  static forRoot(config: AuthServiceConfig, providers: Provider[]): DynamicModule {
    return {
      module: AuthCoreModule,
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: TokenCipher, useFactory: () => new TokenCipher(config.TOKEN_ENCRYPTION_KEYS) },
        ...providers,
      ],
      exports: [AUTH_CONFIG, TokenCipher, OAUTH_API],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AuthServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot({ service: 'auth-service', level: config.LOG_LEVEL }),
        DatabaseModule.forRoot(config),
        QueuesModule.forRoot({
          redisUrl: config.REDIS_URL,
          prefix: config.QUEUE_PREFIX,
          queues: AUTH_SERVICE_QUEUES,
        }),
        HealthModule.forRoot({ redisUrl: config.REDIS_URL }),
        AuthCoreModule.forRoot(config, oauthApiProviders),
        TokensModule,
        OAuthModule,
        ConnectionsModule,
      ],
    };
  }
}
