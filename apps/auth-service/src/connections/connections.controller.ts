import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Put,
  UseGuards,
} from '@nestjs/common';

import { ServiceTokenGuard } from '../tokens/service-token.guard';
import { ConnectionSummary, ConnectionsService } from './connections.service';
import { parsePrivateTokenBody } from './private-token.dto';

const LOCATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Operators' view of the connections, and the Private Integration Token alternative. */
@Controller()
@UseGuards(ServiceTokenGuard)
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get('connections')
  async list(): Promise<{ connections: ConnectionSummary[] }> {
    return { connections: await this.connections.list() };
  }

  @Put('internal/locations/:locationId/private-token')
  @HttpCode(204)
  async savePrivateToken(
    @Param('locationId') locationId: string,
    @Body() body: unknown,
  ): Promise<void> {
    const parsed = parsePrivateTokenBody(body);
    const problems = [
      ...(LOCATION_ID.test(locationId) ? [] : ['locationId: must be a GHL location id']),
      ...(parsed.ok ? [] : parsed.problems),
    ];
    if (!parsed.ok || problems.length > 0) {
      throw new BadRequestException({ error: 'invalid_request', message: problems.join('; ') });
    }
    await this.connections.savePrivateToken(locationId, parsed.value.token, parsed.value.scopes);
  }
}
