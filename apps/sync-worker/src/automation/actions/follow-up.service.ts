import { randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { CreateFollowUpAction, readField, renderText, RuleFacts } from '@sm/automation-rules';
import type { GhlApi, GhlCreateTaskBody, GhlTask, LocationApi } from '@sm/ghl-client';
import { jsonbParameter } from '@sm/platform';

import { GHL_API } from '../../ghl/ghl-api.token';
import { AUTOMATION_CONFIG } from '../automation-config.token';
import type { AutomationConfig } from '../automation.config';
import type { ClaimedEffect, EffectKey, EffectRequest } from '../effects/effect-ledger.service';
import { EffectLedger, effectRow } from '../effects/effect-ledger.service';

/** GHL's scope for creating a task on a contact (`POST /contacts/:contactId/tasks`). */
export const CONTACTS_WRITE_SCOPE = 'contacts.write';

export interface FollowUpWork {
  effect: ClaimedEffect;
  action: CreateFollowUpAction;
  facts: RuleFacts;
}

/** A follow-up a rule wants, not claimed yet. */
export interface FollowUpRequest {
  request: EffectRequest;
  action: CreateFollowUpAction;
  facts: RuleFacts;
}

interface WriterCache {
  writers: Set<string>;
  expiresAt: number;
}

/**
 * Follow-up tasks: created in GHL when the location's connection was granted `contacts.write`
 * (the scopes the token endpoint reported, kept on `ghl_connections`), else kept as SolarMarket
 * tasks. The effect was claimed before; this records it done.
 */
@Injectable()
export class FollowUpService {
  private readonly logger = new Logger(FollowUpService.name);
  private readonly writers = new Map<string, WriterCache>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTOMATION_CONFIG) private readonly config: AutomationConfig,
    private readonly ledger: EffectLedger,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Follow-ups whose effects were claimed: in GHL when the location may write there. */
  async create(work: FollowUpWork[]): Promise<void> {
    if (work.length === 0) return;
    const writers = await this.locationsThatMayWrite(work.map((w) => w.effect.locationId));
    const inGhl = work.filter((w) => writers.has(w.effect.locationId));
    const onOurSide = work.filter((w) => !writers.has(w.effect.locationId));

    await this.createSolarmarketTasks(onOurSide);
    for (const item of inGhl) await this.createGhlTask(item);
  }

  /**
   * The locations among these whose connection was granted `contacts.write`. Cached per
   * location as long as its rule settings (`AUTOMATION_SETTINGS_TTL_MS`): a grant or a loss
   * of the scope takes effect by then (a GHL create refused meanwhile is retried).
   */
  async locationsThatMayWrite(locationIds: string[]): Promise<Set<string>> {
    const now = Date.now();
    const unknown = [...new Set(locationIds)].filter(
      (locationId) => (this.writers.get(locationId)?.expiresAt ?? 0) <= now,
    );
    if (unknown.length > 0) {
      const rows: { location_id: string }[] = await this.dataSource.query(
        `SELECT location_id FROM ghl_connections
         WHERE location_id = ANY($1) AND $2 = ANY(scopes)`,
        [unknown, CONTACTS_WRITE_SCOPE],
      );
      const writers = new Set(rows.map((row) => row.location_id));
      const expiresAt = now + this.config.AUTOMATION_SETTINGS_TTL_MS;
      for (const locationId of unknown) this.writers.set(locationId, { writers, expiresAt });
    }

    return new Set(
      locationIds.filter((locationId) => this.writers.get(locationId)?.writers.has(locationId)),
    );
  }

  /**
   * Follow-ups of locations that may not write to GHL, claimed and made in one statement: the
   * effect row is inserted done together with its SolarMarket task, so nothing is ever held
   * half-done. A pending claim whose lease ran out (a GHL attempt of before) is taken over.
   * Returns the effects this call made.
   */
  async createOnOurSide(wanted: FollowUpRequest[]): Promise<EffectKey[]> {
    const fresh = new Set(this.ledger.notKnownDone(wanted.map(({ request }) => request)));
    const rows = wanted
      .filter(({ request }) => fresh.has(request))
      .map(({ request, action, facts }) => ({
        effect_id: randomUUID(),
        task_id: randomUUID(),
        ...effectRow(request),
        due_at: (request.dueAt ?? new Date()).toISOString(),
        ...taskContent(action, facts),
      }));
    if (rows.length === 0) return [];

    const made: EffectKeyRow[] = await this.dataSource.query(CLAIM_AND_MAKE_TASKS, [
      jsonbParameter(rows),
      this.ledger.leaseSeconds,
    ]);
    const effects = made.map(fromKeyRow);
    this.ledger.recordDoneKeys(effects);

    return effects;
  }

  /**
   * One statement: the tasks, and their effects marked done. A task already there (a retry after
   * a lost answer) still closes its effect, without a second task (one per effect). The task
   * ids are made here so that no step joins two row sets (a nested loop over both).
   */
  private async createSolarmarketTasks(work: FollowUpWork[]): Promise<void> {
    if (work.length === 0) return;
    const tasks = work.map(({ effect, action, facts }) => ({
      task_id: randomUUID(),
      effect_id: effect.id,
      location_id: effect.locationId,
      contact_id: effect.contactId,
      rule_id: effect.ruleId,
      ...taskContent(action, facts),
      due_date: dueDateOf(effect).toISOString(),
    }));
    await this.dataSource.query(
      `WITH wanted AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(task_id uuid, effect_id uuid,
           location_id text, contact_id text, rule_id text, title text, body text,
           assigned_to text, due_date timestamptz)
       ), made AS (
         INSERT INTO solarmarket_tasks
           (id, effect_id, location_id, contact_id, rule_id, title, body, assigned_to, due_date)
         SELECT task_id, effect_id, location_id, contact_id, rule_id, title, body, assigned_to,
                due_date
         FROM wanted
         ON CONFLICT (effect_id) DO NOTHING
         RETURNING effect_id
       )
       UPDATE automation_effects e
       SET status = 'done', done_at = now(),
           outcome = CASE WHEN e.id IN (SELECT effect_id FROM made)
                          THEN jsonb_build_object('solarmarketTaskId', wanted.task_id)
                          ELSE '{"solarmarketTask": "existing"}'::jsonb END
       FROM wanted
       WHERE e.id = wanted.effect_id AND e.status = 'pending'`,
      [jsonbParameter(tasks)],
    );
    this.ledger.recordDone(work.map(({ effect }) => effect.id));
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

interface EffectKeyRow {
  location_id: string;
  rule_id: string;
  subject_key: string;
  action_index: number;
}

/**
 * Claims follow-up effects as done and makes their SolarMarket tasks ($1: the wanted rows with
 * ids made by the caller, $2: the lease in seconds). Rows of the new effects are picked by id
 * (a hashed lookup), those taken over carry their columns through RETURNING.
 */
const CLAIM_AND_MAKE_TASKS = `
  WITH wanted AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS w(
      effect_id uuid, task_id uuid, location_id text, rule_id text, subject_key text,
      action_index int, contact_id text, kind text, due_at timestamptz,
      title text, body text, assigned_to text)
  ), inserted AS (
    INSERT INTO automation_effects
      (id, location_id, rule_id, subject_key, action_index, contact_id, kind, status,
       attempts, claimed_at, due_at, done_at, outcome)
    SELECT effect_id, location_id, rule_id, subject_key, action_index, contact_id, kind, 'done',
           1, now(), due_at, now(), jsonb_build_object('solarmarketTaskId', task_id)
    FROM wanted
    ON CONFLICT (location_id, rule_id, subject_key, action_index) DO NOTHING
    RETURNING id, location_id, rule_id, subject_key, action_index
  ), taken_over AS (
    UPDATE automation_effects e
    SET status = 'done', attempts = e.attempts + 1, claimed_at = now(), done_at = now(),
        outcome = jsonb_build_object('solarmarketTaskId', w.task_id)
    FROM wanted w
    WHERE e.location_id = w.location_id AND e.rule_id = w.rule_id
      AND e.subject_key = w.subject_key AND e.action_index = w.action_index
      AND e.status = 'pending' AND e.claimed_at < now() - make_interval(secs => $2)
    RETURNING e.id, e.location_id, e.rule_id, e.subject_key, e.action_index, e.contact_id,
              COALESCE(e.due_at, w.due_at) AS due_at, w.task_id, w.title, w.body, w.assigned_to
  ), made AS (
    INSERT INTO solarmarket_tasks
      (id, effect_id, location_id, contact_id, rule_id, title, body, assigned_to, due_date)
    SELECT task_id, effect_id, location_id, contact_id, rule_id, title, body, assigned_to, due_at
    FROM wanted WHERE effect_id IN (SELECT id FROM inserted)
    UNION ALL
    SELECT task_id, id, location_id, contact_id, rule_id, title, body, assigned_to, due_at
    FROM taken_over
    ON CONFLICT (effect_id) DO NOTHING
  )
  SELECT location_id, rule_id, subject_key, action_index FROM inserted
  UNION ALL
  SELECT location_id, rule_id, subject_key, action_index FROM taken_over`;

function fromKeyRow(row: EffectKeyRow): EffectKey {
  return {
    locationId: row.location_id,
    ruleId: row.rule_id,
    subjectKey: row.subject_key,
    actionIndex: row.action_index,
  };
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
