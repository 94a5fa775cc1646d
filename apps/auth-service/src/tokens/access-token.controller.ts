import {
  Body,
  ConflictException,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';

import { ServiceTokenGuard } from './service-token.guard';
import {
  ConnectionNotFoundError,
  ConnectionUnavailableError,
  RefreshUnavailableError,
} from './token-errors';
import { IssuedAccessToken, TokenRefreshService } from './token-refresh.service';

/** The sync workers' only way to a GHL credential (contract: docs/architecture.md). */
@Controller('internal/locations/:locationId')
@UseGuards(ServiceTokenGuard)
export class AccessTokenController {
  constructor(private readonly tokens: TokenRefreshService) {}

  @Post('access-token')
  @HttpCode(200)
  async accessToken(
    @Param('locationId') locationId: string,
    @Body() body: { forceRefresh?: unknown } = {},
  ): Promise<IssuedAccessToken> {
    try {
      return await this.tokens.accessToken(locationId, body?.forceRefresh === true);
    } catch (error) {
      throw asHttpError(error);
    }
  }
}

export function asHttpError(error: unknown): unknown {
  if (error instanceof ConnectionNotFoundError)
    return new NotFoundException({ error: 'not_found' });
  if (error instanceof ConnectionUnavailableError) {
    return new ConflictException({ error: error.reason });
  }
  if (error instanceof RefreshUnavailableError) {
    return new ServiceUnavailableException({ error: 'refresh_unavailable' });
  }

  return error;
}
