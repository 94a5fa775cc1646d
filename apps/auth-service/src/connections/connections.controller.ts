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
    @Body() body: { token?: unknown; scopes?: unknown },
  ): Promise<void> {
    const token = typeof body?.token === 'string' ? body.token : '';
    const scopes = Array.isArray(body?.scopes) ? body.scopes.filter(isString) : [];
    if (!LOCATION_ID.test(locationId) || token.length < 8) {
      throw new BadRequestException({ error: 'invalid_request', message: 'needs { token }' });
    }
    await this.connections.savePrivateToken(locationId, token, scopes);
  }
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
