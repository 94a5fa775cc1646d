import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { AUTOMATION_CONFIG } from '../automation-config.token';
import type { AutomationConfig } from '../automation.config';

import { jsonbParameter } from '@sm/platform';

/** What makes an effect unique: its location, rule, subject and action. */
export interface EffectKey {
  locationId: string;
  ruleId: string;
  subjectKey: string;
  actionIndex: number;
}

/** One effect a rule wants: unique per location, rule, subject and action. */
export interface EffectRequest extends EffectKey {
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

/** Keys of effects this process saw done, kept at most (the oldest are forgotten first). */
const DONE_KEYS_KEPT = 200_000;

/**
 * The exactly-once ledger. An effect is claimed by inserting its row (unique key) before acting;
 * a second event for the same subject finds the row and does nothing. A claim whose worker died
 * or failed is taken over once its lease ran out (a failure gives the lease back at once), and
 * the retry acts through an idempotent path (the GHL create looks for its twin first).
 *
 * Done is final (no row goes back to pending, none is deleted), so the keys of effects this
 * process recorded done are remembered and not claimed again: a duplicate event's claim would
 * only find the row and do nothing.
 */
@Injectable()
export class EffectLedger {
  private readonly doneKeys = new Set<string>();
  /** Keys of the claims this process holds, by effect id, until they are done or given back. */
  private readonly heldKeys = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTOMATION_CONFIG) private readonly config: AutomationConfig,
  ) {}

  /** How long a claim holds before another worker may take it over (seconds). */
  get leaseSeconds(): number {
    return this.config.AUTOMATION_EFFECT_LEASE_MS / 1000;
  }

  /** The requests, once per key, without those this process knows are done. */
  notKnownDone<T extends EffectKey>(requests: T[]): T[] {
    const byKey = new Map(requests.map((request) => [effectKeyOf(request), request]));
    for (const key of byKey.keys()) if (this.doneKeys.has(key)) byKey.delete(key);

    return [...byKey.values()];
  }

  /** Claims what is not done yet and not held by another worker; returns what it claimed. */
  async claim(requests: EffectRequest[]): Promise<ClaimedEffect[]> {
    const unique = this.notKnownDone(requests);
    if (unique.length === 0) return [];
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
      [jsonbParameter(unique.map(effectRow)), this.leaseSeconds],
    );
    const claimed = rows.map(fromRow);
    for (const effect of claimed) this.heldKeys.set(effect.id, effectKeyOf(effect));

    return claimed;
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
      [effectIds, outcome ? jsonbParameter(outcome) : null],
    );
    // In a caller's transaction the effects are done only once it commits.
    if (manager === this.dataSource.manager) this.recordDone(effectIds);
  }

  /**
   * Remembers claims of this process recorded done by a statement of the caller's own
   * (committed), so this process does not claim them again.
   */
  recordDone(effectIds: string[]): void {
    const keys: string[] = [];
    for (const id of effectIds) {
      const key = this.heldKeys.get(id);
      if (key === undefined) continue;
      this.heldKeys.delete(id);
      keys.push(key);
    }
    this.remember(keys);
  }

  /** Remembers effects recorded done (committed) without a claim of this process. */
  recordDoneKeys(effects: EffectKey[]): void {
    this.remember(effects.map(effectKeyOf));
  }

  private remember(keys: string[]): void {
    for (const key of keys) this.doneKeys.add(key);
    for (const key of this.doneKeys) {
      if (this.doneKeys.size <= DONE_KEYS_KEPT) break;
      this.doneKeys.delete(key);
    }
  }

  /** Gives a failed claim back at once, so the job's retry may take it over. */
  async release(effectIds: string[]): Promise<void> {
    if (effectIds.length === 0) return;
    for (const id of effectIds) this.heldKeys.delete(id);
    await this.dataSource.query(
      `UPDATE automation_effects SET claimed_at = 'epoch'
       WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [effectIds],
    );
  }
}

/** One string per effect key (its parts cannot contain NUL). */
export function effectKeyOf(key: EffectKey): string {
  return [key.locationId, key.ruleId, key.subjectKey, key.actionIndex].join('\u0000');
}

/** An effect request as the ledger's statements read it (`jsonb_to_recordset`). */
export function effectRow(request: EffectRequest) {
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
