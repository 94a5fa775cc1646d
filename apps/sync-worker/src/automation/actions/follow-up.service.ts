import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { CreateFollowUpAction, readField, renderText, RuleFacts } from '@sm/automation-rules';
import type { GhlApi, GhlCreateTaskBody, GhlTask, LocationApi } from '@sm/ghl-client';

import { GHL_API } from '../../ghl/ghl-api.token';
import type { ClaimedEffect } from '../effects/effect-ledger.service';
import { EffectLedger } from '../effects/effect-ledger.service';

/** GHL's scope for creating a task on a contact (`POST /contacts/:contactId/tasks`). */
export const CONTACTS_WRITE_SCOPE = 'contacts.write';

export interface FollowUpWork {
  effect: ClaimedEffect;
  action: CreateFollowUpAction;
  facts: RuleFacts;
}

/**
 * Follow-up tasks: created in GHL when the location's connection was granted `contacts.write`
 * (the scopes the token endpoint reported, kept on `ghl_connections`), else kept as SolarMarket
 * tasks. The effect was claimed before; this records it done.
 */
@Injectable()
export class FollowUpService {
  private readonly logger = new Logger(FollowUpService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: EffectLedger,
    private readonly moduleRef: ModuleRef,
  ) {}

  async create(work: FollowUpWork[]): Promise<void> {
    if (work.length === 0) return;
    const writers = await this.locationsThatMayWrite([
      ...new Set(work.map((w) => w.effect.locationId)),
    ]);
    const inGhl = work.filter((w) => writers.has(w.effect.locationId));
    const onOurSide = work.filter((w) => !writers.has(w.effect.locationId));

    await this.createSolarmarketTasks(onOurSide);
    for (const item of inGhl) await this.createGhlTask(item);
  }

  private async locationsThatMayWrite(locationIds: string[]): Promise<Set<string>> {
    const rows: { location_id: string }[] = await this.dataSource.query(
      `SELECT location_id FROM ghl_connections WHERE location_id = ANY($1) AND $2 = ANY(scopes)`,
      [locationIds, CONTACTS_WRITE_SCOPE],
    );

    return new Set(rows.map((row) => row.location_id));
  }

  /**
   * One statement: the tasks, and their effects marked done. A task already there (a retry after
   * a lost answer) still closes its effect, without a second task (one per effect).
   */
  private async createSolarmarketTasks(work: FollowUpWork[]): Promise<void> {
    if (work.length === 0) return;
    const tasks = work.map(({ effect, action, facts }) => ({
      effect_id: effect.id,
      location_id: effect.locationId,
      contact_id: effect.contactId,
      rule_id: effect.ruleId,
      ...taskContent(action, facts),
      due_date: dueDateOf(effect).toISOString(),
    }));
    await this.dataSource.query(
      `WITH wanted AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(effect_id uuid, location_id text,
           contact_id text, rule_id text, title text, body text, assigned_to text,
           due_date timestamptz)
       ), made AS (
         INSERT INTO solarmarket_tasks
           (effect_id, location_id, contact_id, rule_id, title, body, assigned_to, due_date)
         SELECT effect_id, location_id, contact_id, rule_id, title, body, assigned_to, due_date
         FROM wanted
         ON CONFLICT (effect_id) DO NOTHING
         RETURNING id, effect_id
       )
       UPDATE automation_effects e
       SET status = 'done', done_at = now(),
           outcome = CASE WHEN made.id IS NULL THEN '{"solarmarketTask": "existing"}'::jsonb
                          ELSE jsonb_build_object('solarmarketTaskId', made.id) END
       FROM wanted LEFT JOIN made ON made.effect_id = wanted.effect_id
       WHERE e.id = wanted.effect_id AND e.status = 'pending'`,
      [JSON.stringify(tasks)],
    );
  }

  private async createGhlTask({ effect, action, facts }: FollowUpWork): Promise<void> {
    const content = taskContent(action, facts);
    const body: GhlCreateTaskBody = {
      title: content.title,
      body: content.body ?? undefined,
      dueDate: dueDateOf(effect).toISOString(),
      completed: false,
      assignedTo: content.assigned_to ?? undefined,
    };
    const api = this.ghlApi().forLocation(effect.locationId, { priority: 'realtime' });
    try {
      // A retry may follow a create whose answer was lost: look for its twin before creating.
      const twin = effect.isRetry ? await findTwin(api, effect.contactId, body) : undefined;
      const task = twin ?? (await api.createContactTask(effect.contactId, body));
      await this.ledger.complete([effect.id], { ghlTaskId: task.id ?? null });
    } catch (error) {
      await this.ledger.release([effect.id]);
      this.logger.warn(
        { locationId: effect.locationId, contactId: effect.contactId, ruleId: effect.ruleId },
        'follow-up task not created in GHL, will retry',
      );
      throw error;
    }
  }

  private ghlApi(): GhlApi {
    // The worker's one GHL client (its rate governor and token cache), built by the app module.
    return this.moduleRef.get<GhlApi>(GHL_API, { strict: false });
  }
}

function taskContent(action: CreateFollowUpAction, facts: RuleFacts) {
  const owner = readField(facts, 'contact.assignedTo');
  const assignTo = action.assignTo ?? 'contact-owner';
  const assignedTo =
    assignTo === 'contact-owner' ? (typeof owner === 'string' ? owner : null) : assignTo;

  return {
    title: renderText(action.title, facts).slice(0, 200),
    body: action.body ? renderText(action.body, facts) : null,
    assigned_to: assignedTo,
  };
}

function dueDateOf(effect: ClaimedEffect): Date {
  return effect.dueAt ?? new Date();
}

/** The contact's task with this title and due date: made by an attempt whose answer was lost. */
async function findTwin(
  api: LocationApi,
  contactId: string,
  body: GhlCreateTaskBody,
): Promise<GhlTask | undefined> {
  const dueAt = Date.parse(body.dueDate);
  const tasks = await api.listContactTasks(contactId);

  return tasks.find(
    (task) => task.title === body.title && Date.parse(task.dueDate ?? '') === dueAt,
  );
}
