import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';

import type { ContactStaleTrigger } from '@sm/automation-rules';
import { ConnectionStatus, Contact } from '@sm/entities';
import { JobName, QueueName, ScanStaleLeadsJob } from '@sm/queues';

import { AUTOMATION_CONFIG } from '../automation-config.token';
import type { AutomationConfig } from '../automation.config';
import { RuleBook } from '../rules/rule-book.service';
import { RuleEngine } from '../rules/rule-engine.service';
import { contactSubject, RuleSubject } from '../rules/rule-subjects';

/** The one scheduler of the nightly scan (a redeploy replaces it). */
export const STALE_SCAN_SCHEDULER_ID = 'automation.stale-scan';
/** Contacts taken per query: a location with more is scanned in several pages. */
const PAGE_SIZE = 500;

/**
 * The nightly stale-lead scan: for each location with a `contact.stale` rule enabled, the
 * contacts whose last touch (a change in GHL, a note, a task completed, an appointment) is older
 * than the rule's `staleDays`. One nudge per staleness: the subject key carries the last touch,
 * so a contact touched again and then forgotten again is nudged again. A run makes at most
 * `AUTOMATION_STALE_SCAN_CAP` new effects per location (a backlog is spread over nights).
 */
@Injectable()
export class StaleLeadScan implements OnApplicationBootstrap {
  private readonly logger = new Logger(StaleLeadScan.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Automation) private readonly queue: Queue,
    @Inject(AUTOMATION_CONFIG) private readonly config: AutomationConfig,
    private readonly rules: RuleBook,
    private readonly engine: RuleEngine,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      STALE_SCAN_SCHEDULER_ID,
      { pattern: this.config.AUTOMATION_STALE_SCAN_CRON, tz: 'UTC' },
      { name: JobName.ScanStaleLeads, data: {} satisfies ScanStaleLeadsJob },
    );
  }

  async scan(job: ScanStaleLeadsJob): Promise<number> {
    const staleRuleIds = this.rules
      .all()
      .filter((rule) => rule.trigger.event === 'contact.stale')
      .map((rule) => rule.id);
    const locations = job.locationId
      ? [job.locationId]
      : await this.candidateLocations(staleRuleIds);
    let effects = 0;
    for (const locationId of locations) {
      try {
        effects += await this.scanLocation(locationId);
      } catch (error) {
        // One location's failure is reported with its id; the others are still scanned.
        this.logger.error(
          { locationId, error: (error as Error).message },
          'stale-lead scan failed',
        );
      }
    }

    return effects;
  }

  private async scanLocation(locationId: string): Promise<number> {
    const cap = this.config.AUTOMATION_STALE_SCAN_CAP;
    let effects = 0;
    for (const { rule } of await this.rules.enabledWith(locationId, 'contact.stale')) {
      const { staleDays } = rule.trigger as ContactStaleTrigger;
      for (let after = ''; effects < cap;) {
        const page = await this.staleContacts(locationId, staleDays, after);
        if (page.length === 0) break;
        const subjects = await this.subjectsOf(locationId, page);
        // Subjects nudged before make no effect: take them in slices until the cap is reached.
        for (let start = 0; start < subjects.length && effects < cap;) {
          const room = Math.ceil((cap - effects) / Math.max(1, rule.actions.length));
          effects += await this.engine.applyRule(
            locationId,
            rule,
            subjects.slice(start, start + room),
          );
          start += room;
        }
        after = page[page.length - 1].id;
      }
    }
    if (effects >= cap) this.logger.warn({ locationId, effects }, 'stale-lead scan capped');

    return effects;
  }

  private async subjectsOf(
    locationId: string,
    page: { id: string; last_touch_at: Date }[],
  ): Promise<RuleSubject[]> {
    const contacts = await this.dataSource
      .getRepository(Contact)
      .findBy({ locationId, id: In(page.map((row) => row.id)) });
    const touchedAt = new Map(page.map((row) => [row.id, row.last_touch_at]));

    return contacts.map((contact) =>
      contactSubject(contact, `stale:${contact.id}:${touchedAt.get(contact.id)?.toISOString()}`),
    );
  }

  private staleContacts(
    locationId: string,
    staleDays: number,
    after: string,
  ): Promise<{ id: string; last_touch_at: Date }[]> {
    return this.dataSource.query(
      `SELECT c.id,
         GREATEST(c.ghl_date_updated, c.ghl_date_added, n.at, t.at, a.at) AS last_touch_at
       FROM contacts c
       LEFT JOIN LATERAL (SELECT max(ghl_date_added) AS at FROM contact_notes
         WHERE location_id = c.location_id AND contact_id = c.id) n ON true
       LEFT JOIN LATERAL (SELECT max(completed_at) AS at FROM contact_tasks
         WHERE location_id = c.location_id AND contact_id = c.id) t ON true
       LEFT JOIN LATERAL (SELECT max(start_time) AS at FROM contact_appointments
         WHERE location_id = c.location_id AND contact_id = c.id AND start_time <= now()) a ON true
       WHERE c.location_id = $1 AND c.deleted_at IS NULL AND c.id > $3
         AND GREATEST(c.ghl_date_updated, c.ghl_date_added, n.at, t.at, a.at)
             < now() - make_interval(days => $2)
       ORDER BY c.id LIMIT ${PAGE_SIZE}`,
      [locationId, staleDays, after],
    );
  }

  /** Locations that switched a stale rule on through the API, or every one the file covers. */
  private async candidateLocations(ruleIds: string[]): Promise<string[]> {
    const stored = await this.rules.locationsWithStoredRules(ruleIds);
    const byConfiguration = ruleIds.some((ruleId) => this.rules.isEnabledByConfiguration(ruleId));
    if (!byConfiguration) return stored;
    const rows: { location_id: string }[] = await this.dataSource.query(
      'SELECT location_id FROM ghl_connections WHERE status = $1',
      [ConnectionStatus.Active],
    );

    return [...new Set([...stored, ...rows.map((row) => row.location_id)])];
  }
}
