import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';

import { forceRefreshOf, InvalidBodyError } from './access-token-request';
import { ServiceTokenGuard } from './service-token.guard';
import { tokenRefusal } from './token-errors';
import { IssuedAccessToken, TokenRefreshService } from './token-refresh.service';

/**
 * The sync workers' only way to a GHL credential (contract: docs/architecture.md). Requests for
 * the exact path are served by {@link AccessTokenRoute} ahead of Express; this controller answers
 * the spellings that route leaves to Express (a trailing slash, an id it does not take), the same
 * way.
 */
@Controller('internal/locations/:locationId')
@UseGuards(ServiceTokenGuard)
export class AccessTokenController {
  constructor(private readonly tokens: TokenRefreshService) {}

  @Post('access-token')
  @HttpCode(200)
  async accessToken(
    @Param('locationId') locationId: string,
    @Body() body: unknown = {},
  ): Promise<IssuedAccessToken> {
    const forceRefresh = readForceRefresh(body);
    try {
      return await this.tokens.accessToken(locationId, forceRefresh);
    } catch (error) {
      const refusal = tokenRefusal(error);
      throw refusal ? new HttpException(refusal.body, refusal.statusCode) : error;
    }
  }
}

/** Refuses a body the node:http route refuses, with the same answer. */
function readForceRefresh(body: unknown): boolean {
  try {
    return forceRefreshOf(body);
  } catch (error) {
    if (!(error instanceof InvalidBodyError)) throw error;
    throw new BadRequestException({ error: 'invalid_body', message: error.message });
  }
}
