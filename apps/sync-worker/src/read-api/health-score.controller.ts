import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ZodError } from 'zod';
import { BadRequestException } from '@nestjs/common';

import { InstalledLocationPipe } from '../connections/installed-location.pipe';
import { ServiceTokenGuard } from '../failures/service-token.guard';
import { JsonObjectBodyPipe } from '../http/json-object-body.pipe';
import { parseQuery } from '../http/query-parameters';
import {
  HealthScoreRefresh,
  RefreshTooSoonException,
} from '../health-score/health-score-refresh.service';
import { HealthScoreService } from '../health-score/health-score.service';
import type { HealthScoreSettings } from '../health-score/health-score-settings';
import { ApiKeyGuard } from './api-key.guard';
import { ApiPrincipal, Principal } from './api-principal';
import { healthScoreView } from './contact-views';
import { ContactsRead } from './contacts-read.service';
import {
  HealthScoreDetailDto,
  HealthScoreDto,
  HealthScoreSettingsDto,
} from './dto/contact-views.dto';
import { BAD_QUERY, historyQuery } from './read-api-queries';

@ApiTags('health score')
@Controller('api/v1/locations/:locationId')
export class HealthScoreController {
  constructor(
    private readonly contacts: ContactsRead,
    private readonly scores: HealthScoreService,
    private readonly refresher: HealthScoreRefresh,
  ) {}

  @Get('contacts/:contactId/health-score')
  @UseGuards(ApiKeyGuard)
  @ApiBearerAuth('api-key')
  @ApiOperation({ summary: "A contact's current health score and its history" })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: 'History rows, 1–200' })
  @ApiOkResponse({ type: HealthScoreDetailDto })
  @ApiBadRequestResponse({ description: BAD_QUERY })
  @ApiNotFoundResponse({ description: 'No such contact among the key’s locations.' })
  async detail(
    @Principal() principal: ApiPrincipal,
    @Param('locationId') locationId: string,
    @Param('contactId') contactId: string,
    @Query() query: unknown,
  ): Promise<HealthScoreDetailDto> {
    const { limit } = parseQuery(historyQuery, query);
    await this.contacts.findContact(principal, locationId, contactId);
    const [current, history] = await Promise.all([
      this.scores.current(locationId, contactId),
      this.scores.history(locationId, contactId, limit),
    ]);

    return { current: current && healthScoreView(current), history: history.map(healthScoreView) };
  }

  @Post('contacts/:contactId/health-score/refresh')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  @ApiBearerAuth('api-key')
  @ApiOperation({ summary: 'Reads the contact live from GHL and scores it now' })
  @ApiOkResponse({ type: HealthScoreDto })
  @ApiNotFoundResponse({
    description: 'No such contact among the key’s locations, or GHL no longer has it.',
  })
  @ApiTooManyRequestsResponse({ description: 'Refreshed moments ago; see Retry-After.' })
  async refresh(
    @Principal() principal: ApiPrincipal,
    @Param('locationId') locationId: string,
    @Param('contactId') contactId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<HealthScoreDto> {
    // Only a contact SolarMarket holds may spend a GHL call, as the GET route reads only those.
    await this.contacts.findContact(principal, locationId, contactId);
    try {
      await this.refresher.refresh(locationId, contactId);
    } catch (error) {
      if (error instanceof RefreshTooSoonException) {
        response.setHeader('Retry-After', String(error.retryAfterSeconds));
      }
      throw error;
    }
    const current = await this.scores.current(locationId, contactId);

    return healthScoreView(current as NonNullable<typeof current>);
  }

  @Get('health-score/settings')
  @UseGuards(ApiKeyGuard)
  @ApiBearerAuth('api-key')
  @ApiOperation({ summary: "The location's health-score weights (defaults where unset)" })
  @ApiOkResponse({ type: HealthScoreSettingsDto })
  settings(
    @Principal() principal: ApiPrincipal,
    @Param('locationId') locationId: string,
  ): Promise<HealthScoreSettings> {
    this.contacts.assertReadable(principal, locationId, 'no such location');

    return this.scores.settingsFor(locationId);
  }

  @Put('health-score/settings')
  @UseGuards(ServiceTokenGuard)
  @ApiBearerAuth('service-token')
  @ApiOperation({
    summary: "Sets the location's weights (admin: SERVICE_TOKEN) and rescores its contacts",
  })
  @ApiBody({ type: HealthScoreSettingsDto, description: 'Fields left out keep their default.' })
  @ApiOkResponse({ type: HealthScoreSettingsDto })
  async saveSettings(
    @Param('locationId', InstalledLocationPipe) locationId: string,
    @Body(JsonObjectBodyPipe) body: Record<string, unknown>,
  ): Promise<HealthScoreSettings> {
    try {
      return await this.scores.saveSettings(locationId, body);
    } catch (error) {
      if (!(error instanceof ZodError)) throw error;
      throw new BadRequestException(
        error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`),
      );
    }
  }
}
