import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { AUTOMATION_CONFIG } from '../automation-config.token';
import type { AutomationConfig } from '../automation.config';

/** One effect a rule wants: unique per location, rule, subject and action. */
export interface EffectRequest {
  locationId: string;
  ruleId: string;
  subjectKey: string;
  actionIndex: number;
  contactId: string;
  kind: string;
  /** A follow-up's due date, fixed at the first claim. */
  dueAt?: Date | null;
}

/** An effect this worker now holds and must act on (then `complete` or `release`). */
export interface ClaimedEffect extends EffectRequest {
  id: string;
  dueAt: Date | null;
  /** Not the first attempt: a previous one may have acted without recording it. */
  isRetry: boolean;
}

interface ClaimRow {
  id: string;
  location_id: string;
  rule_id: string;
  subject_key: string;
  action_index: number;
  contact_id: string;
  kind: string;
  due_at: Date | null;
  attempts: number;
}

/**
 * The exactly-once ledger. An effect is claimed by inserting its row (unique key) before acting;
 * a second event for the same subject finds the row and does nothing. A claim whose worker died
 * or failed is taken over once its lease ran out (a failure gives the lease back at once), and
 * the retry acts through an idempotent path (the GHL create looks for its twin first).
 */
@Injectable()
export class EffectLedger {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTOMATION_CONFIG) private readonly config: AutomationConfig,
  ) {}

  /** Claims what is not done yet and not held by another worker; returns what it claimed. */
  async claim(requests: EffectRequest[]): Promise<ClaimedEffect[]> {
    if (requests.length === 0) return [];
    const unique = [...new Map(requests.map((request) => [keyOf(request), request])).values()];
    const rows: ClaimRow[] = await this.dataSource.query(
      `WITH wanted AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS w(
           location_id text, rule_id text, subject_key text, action_index int,
           contact_id text, kind text, due_at timestamptz)
       ), inserted AS (
         INSERT INTO automation_effects
           (location_id, rule_id, subject_key, action_index, contact_id, kind, status,
            attempts, claimed_at, due_at)
         SELECT location_id, rule_id, subject_key, action_index, contact_id, kind, 'pending',
                1, now(), due_at
         FROM wanted
         ON CONFLICT (location_id, rule_id, subject_key, action_index) DO NOTHING
         RETURNING id, location_id, rule_id, subject_key, action_index, contact_id, kind, due_at,
                   attempts
       ), taken_over AS (
         UPDATE automation_effects e
         SET claimed_at = now(), attempts = e.attempts + 1
         FROM wanted w
         WHERE e.location_id = w.location_id AND e.rule_id = w.rule_id
           AND e.subject_key = w.subject_key AND e.action_index = w.action_index
           AND e.status = 'pending' AND e.claimed_at < now() - make_interval(secs => $2)
         RETURNING e.id, e.location_id, e.rule_id, e.subject_key, e.action_index, e.contact_id,
                   e.kind, e.due_at, e.attempts
       )
       SELECT * FROM inserted UNION ALL SELECT * FROM taken_over`,
      [JSON.stringify(unique.map(toRecord)), this.config.AUTOMATION_EFFECT_LEASE_MS / 1000],
    );

    return rows.map(fromRow);
  }

  /** Records the effect done, with what was made; in the caller's transaction when given. */
  async complete(
    effectIds: string[],
    outcome: Record<string, unknown> | null,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    if (effectIds.length === 0) return;
    await manager.query(
      `UPDATE automation_effects SET status = 'done', done_at = now(), outcome = $2
       WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [effectIds, outcome ? JSON.stringify(outcome) : null],
    );
  }

  /** Gives a failed claim back at once, so the job's retry may take it over. */
  async release(effectIds: string[]): Promise<void> {
    if (effectIds.length === 0) return;
    await this.dataSource.query(
      `UPDATE automation_effects SET claimed_at = 'epoch'
       WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [effectIds],
    );
  }
}

function keyOf(request: EffectRequest): string {
  return [request.locationId, request.ruleId, request.subjectKey, request.actionIndex].join(
    '\u0000',
  );
}

function toRecord(request: EffectRequest) {
  return {
    location_id: request.locationId,
    rule_id: request.ruleId,
    subject_key: request.subjectKey,
    action_index: request.actionIndex,
    contact_id: request.contactId,
    kind: request.kind,
    due_at: request.dueAt?.toISOString() ?? null,
  };
}

function fromRow(row: ClaimRow): ClaimedEffect {
  return {
    id: row.id,
    locationId: row.location_id,
    ruleId: row.rule_id,
    subjectKey: row.subject_key,
    actionIndex: row.action_index,
    contactId: row.contact_id,
    kind: row.kind,
    dueAt: row.due_at,
    isRetry: row.attempts > 1,
  };
}
