import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Put,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';

import { InvalidRuleError, RuleOverrides } from '@sm/automation-rules';

import { InstalledLocationPipe } from '../../connections/installed-location.pipe';
import { ServiceTokenGuard } from '../../failures/service-token.guard';
import { RuleBook } from '../rules/rule-book.service';

interface SettingBody {
  enabled?: unknown;
  overrides?: unknown;
}

/**
 * The operator's API for rules (`Authorization: Bearer <SERVICE_TOKEN>`): list the rules, read
 * a location's settings, switch a rule on or off for a location and tune it.
 */
@Controller('api/v1/automation')
@UseGuards(ServiceTokenGuard)
export class AutomationAdminController {
  constructor(private readonly rules: RuleBook) {}

  @Get('rules')
  listRules() {
    return { rules: this.rules.all() };
  }

  @Get('locations/:locationId/rules')
  async locationRules(@Param('locationId', InstalledLocationPipe) locationId: string) {
    return { locationId, settings: await this.rules.settingsFor(locationId) };
  }

  @Put('locations/:locationId/rules/:ruleId')
  @HttpCode(200)
  async saveSetting(
    @Param('locationId', InstalledLocationPipe) locationId: string,
    @Param('ruleId') ruleId: string,
    @Body() body: SettingBody,
  ) {
    if (!this.rules.get(ruleId)) throw new NotFoundException(`no rule ${ruleId}`);
    if (typeof body?.enabled !== 'boolean') {
      throw new UnprocessableEntityException({ errors: ['enabled must be true or false'] });
    }
    const overrides = isObject(body.overrides) ? (body.overrides as RuleOverrides) : undefined;
    try {
      await this.rules.saveSetting(locationId, ruleId, { enabled: body.enabled, overrides });
    } catch (error) {
      if (error instanceof InvalidRuleError) {
        throw new UnprocessableEntityException({ errors: error.errors });
      }
      throw error;
    }
    const settings = await this.rules.settingsFor(locationId);

    return settings.find((setting) => setting.ruleId === ruleId);
  }
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
