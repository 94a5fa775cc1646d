import { Module } from '@nestjs/common';

import { TokensModule } from '../tokens/tokens.module';
import { AgencyInstallService } from './agency-install.service';
import { ConnectionEventsProcessor } from './connection-events.processor';
import { ConnectionsController } from './connections.controller';
import { ConnectionsService } from './connections.service';

@Module({
  imports: [TokensModule],
  controllers: [ConnectionsController],
  providers: [ConnectionsService, AgencyInstallService, ConnectionEventsProcessor],
  exports: [AgencyInstallService],
})
export class ConnectionsModule {}
