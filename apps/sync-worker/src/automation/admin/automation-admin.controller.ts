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

import { InvalidRuleError } from '@sm/automation-rules';

import { InstalledLocationPipe } from '../../connections/installed-location.pipe';
import { ServiceTokenGuard } from '../../failures/service-token.guard';
import { JsonObjectBodyPipe } from '../../http/json-object-body.pipe';
import { RuleBook } from '../rules/rule-book.service';

const SETTING_FIELDS = ['enabled', 'overrides'];

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
    @Body(JsonObjectBodyPipe) body: Record<string, unknown>,
  ) {
    if (!this.rules.get(ruleId)) throw new NotFoundException(`no rule ${ruleId}`);
    const errors = settingBodyErrors(body);
    if (errors.length > 0) throw new UnprocessableEntityException({ errors });
    try {
      await this.rules.saveSetting(locationId, ruleId, body.enabled as boolean, body.overrides);
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

/** A misspelt field would be dropped without a word, so every unknown one is refused. */
function settingBodyErrors(body: Record<string, unknown>): string[] {
  const errors = Object.keys(body)
    .filter((key) => !SETTING_FIELDS.includes(key))
    .map((key) => `${key} is unknown (a setting has enabled and overrides)`);
  if (typeof body.enabled !== 'boolean') errors.push('enabled must be true or false');

  return errors;
}
