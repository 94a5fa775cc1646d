import { Module } from '@nestjs/common';

import { ConnectionsModule } from '../connections/connections.module';
import { TokensModule } from '../tokens/tokens.module';
import { OAuthInstallService } from './oauth-install.service';
import { OAuthStateService } from './oauth-state.service';
import { OAuthController } from './oauth.controller';

@Module({
  imports: [TokensModule, ConnectionsModule],
  controllers: [OAuthController],
  providers: [OAuthStateService, OAuthInstallService],
})
export class OAuthModule {}
