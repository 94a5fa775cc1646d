import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import {
  ANY_LOCATION,
  applyOverrides,
  AutomationFile,
  InvalidRuleError,
  parseOverrides,
  Rule,
  RuleOverrides,
  RuleSetting,
  TriggerEvent,
} from '@sm/automation-rules';
import { AutomationRuleSetting } from '@sm/entities';
import { jsonbParameter } from '@sm/platform';

import { AUTOMATION_CONFIG } from '../automation-config.token';
import type { AutomationConfig } from '../automation.config';
import { readRuleCatalog } from './rule-catalog';

/** A rule as it applies to one location: tuned, and since when it is enabled. */
export interface EnabledRule {
  rule: Rule;
  /** When the location's setting switched it on; null when enabled by the file or env. */
  enabledAt: Date | null;
}

/** Where a location's setting for a rule came from. */
export type SettingSource = 'api' | 'file' | 'env' | 'default';

export interface EffectiveSetting extends RuleSetting {
  ruleId: string;
  source: SettingSource;
  enabledAt: Date | null;
}

interface CachedRules {
  rules: EnabledRule[];
  expiresAt: number;
}

/**
 * The rules this worker knows (the built-in templates, then the operator's own) and which of
 * them each location has enabled. A location's setting comes from, in order: the admin API
 * (`automation_rule_settings`), the operator's file for that location, the file's `"*"`,
 * `AUTOMATION_ENABLED_RULES`; a rule none of them names is off.
 */
@Injectable()
export class RuleBook {
  private readonly logger = new Logger(RuleBook.name);
  private readonly rules: Map<string, Rule>;
  private readonly file: AutomationFile;
  private readonly cache = new Map<string, CachedRules>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTOMATION_CONFIG) private readonly config: AutomationConfig,
  ) {
    // The config check at boot has refused what this would throw; a `ConfigError` here means
    // the worker was started without it (a test, a script).
    ({ rules: this.rules, file: this.file } = readRuleCatalog(config));
    this.logger.log({ rules: this.rules.size }, 'automation rules loaded');
  }

  all(): Rule[] {
    return [...this.rules.values()];
  }

  get(ruleId: string): Rule | undefined {
    return this.rules.get(ruleId);
  }

  /** The rule, or an `InvalidRuleError` naming the unknown id. */
  require(ruleId: string): Rule {
    const rule = this.rules.get(ruleId);
    if (!rule) throw new InvalidRuleError(ruleId, ['no such rule']);

    return rule;
  }

  /** The location's enabled rules, tuned; cached for `AUTOMATION_SETTINGS_TTL_MS`. */
  async enabledFor(locationId: string): Promise<EnabledRule[]> {
    const cached = this.cache.get(locationId);
    if (cached && cached.expiresAt > Date.now()) return cached.rules;

    const settings = await this.settingsFor(locationId);
    const rules = settings
      .filter((setting) => setting.enabled)
      .flatMap((setting) => {
        const rule = this.tuned(locationId, setting);

        return rule ? [{ rule, enabledAt: setting.enabledAt }] : [];
      });
    this.cache.set(locationId, {
      rules,
      expiresAt: Date.now() + this.config.AUTOMATION_SETTINGS_TTL_MS,
    });

    return rules;
  }

  /**
   * The rule with the location's tuning, or null when the stored tuning no longer fits it (it was
   * stored by an earlier release, or before the operator's file changed the rule): that one rule
   * is off for the location, loudly, and its other rules go on.
   */
  private tuned(locationId: string, setting: EffectiveSetting): Rule | null {
    try {
      return applyOverrides(this.require(setting.ruleId), setting.overrides);
    } catch (error) {
      if (!(error instanceof InvalidRuleError)) throw error;
      const { ruleId, source } = setting;
      this.logger.error(
        { locationId, ruleId, source, errors: error.errors },
        'stored tuning no longer fits its rule: the rule is off for the location',
      );

      return null;
    }
  }

  async enabledWith(locationId: string, event: TriggerEvent): Promise<EnabledRule[]> {
    const rules = await this.enabledFor(locationId);

    return rules.filter(({ rule }) => rule.trigger.event === event);
  }

  /** Every rule's effective setting for the location, and where it came from. */
  async settingsFor(locationId: string): Promise<EffectiveSetting[]> {
    const rows = await this.dataSource.getRepository(AutomationRuleSetting).findBy({ locationId });
    const stored = new Map(rows.map((row) => [row.ruleId, row]));

    return this.all().map((rule) => {
      const row = stored.get(rule.id);
      if (row) {
        const overrides = (row.overrides ?? undefined) as RuleOverrides | undefined;

        return {
          ruleId: rule.id,
          enabled: row.enabled,
          overrides,
          source: 'api',
          enabledAt: row.enabledAt,
        };
      }

      return { ruleId: rule.id, ...this.configuredSetting(locationId, rule.id), enabledAt: null };
    });
  }

  /**
   * Validates and stores a location's setting (the admin API): `overrides` is the tuning as the
   * operator sent it, refused with an `InvalidRuleError` (and nothing stored) unless it fits the
   * rule; none replaces the stored tuning with none.
   */
  async saveSetting(
    locationId: string,
    ruleId: string,
    enabled: boolean,
    overrides: unknown,
  ): Promise<void> {
    const tuning = parseOverrides(this.require(ruleId), overrides);
    await this.dataSource.query(
      `INSERT INTO automation_rule_settings (location_id, rule_id, enabled, overrides, enabled_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $3 THEN now() END)
       ON CONFLICT (location_id, rule_id) DO UPDATE SET
         enabled = EXCLUDED.enabled,
         overrides = EXCLUDED.overrides,
         enabled_at = CASE
           WHEN NOT EXCLUDED.enabled THEN NULL
           WHEN automation_rule_settings.enabled THEN automation_rule_settings.enabled_at
           ELSE now() END,
         updated_at = now()`,
      [locationId, ruleId, enabled, tuning ? jsonbParameter(tuning) : null],
    );
    this.cache.delete(locationId);
  }

  /** Locations that have some rule with this trigger switched on through the API. */
  async locationsWithStoredRules(ruleIds: string[]): Promise<string[]> {
    const rows: { location_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT location_id FROM automation_rule_settings
       WHERE enabled AND rule_id = ANY($1)`,
      [ruleIds],
    );

    return rows.map((row) => row.location_id);
  }

  /** True when the file or env switch a rule on for locations that have no row of their own. */
  isEnabledByConfiguration(ruleId: string): boolean {
    return (
      this.config.AUTOMATION_ENABLED_RULES.includes(ruleId) ||
      Object.values(this.file.locations).some((settings) => settings[ruleId]?.enabled === true)
    );
  }

  private configuredSetting(
    locationId: string,
    ruleId: string,
  ): RuleSetting & { source: SettingSource } {
    const own = this.file.locations[locationId]?.[ruleId];
    if (own) return { ...own, source: 'file' };
    const everywhere = this.file.locations[ANY_LOCATION]?.[ruleId];
    if (everywhere) return { ...everywhere, source: 'file' };
    if (this.config.AUTOMATION_ENABLED_RULES.includes(ruleId))
      return { enabled: true, source: 'env' };

    return { enabled: false, source: 'default' };
  }
}
