import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Automation: per-location rule settings, the effects rules claimed (unique per rule, subject
 * and action: the exactly-once key) and the follow-up tasks kept on SolarMarket's side.
 */
export class Automation1764850000000 implements MigrationInterface {
  name = 'Automation1764850000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE automation_rule_settings (
        location_id varchar(64) NOT NULL,
        rule_id varchar(64) NOT NULL,
        enabled boolean NOT NULL,
        overrides jsonb,
        enabled_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (location_id, rule_id)
      )`);
    await db.query(`
      CREATE TABLE automation_effects (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        location_id varchar(64) NOT NULL,
        rule_id varchar(64) NOT NULL,
        subject_key varchar(200) NOT NULL,
        action_index smallint NOT NULL,
        contact_id varchar(64) NOT NULL,
        kind varchar(80) NOT NULL,
        status varchar(16) NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        claimed_at timestamptz NOT NULL,
        due_at timestamptz,
        outcome jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz
      )`);
    await db.query(
      'CREATE UNIQUE INDEX "UQ_automation_effects_subject" ' +
        'ON automation_effects (location_id, rule_id, subject_key, action_index)',
    );
    await db.query(
      'CREATE INDEX "IDX_automation_effects_location_contact" ' +
        'ON automation_effects (location_id, contact_id)',
    );
    await db.query(`
      CREATE TABLE solarmarket_tasks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        location_id varchar(64) NOT NULL,
        contact_id varchar(64) NOT NULL,
        effect_id uuid NOT NULL UNIQUE,
        rule_id varchar(64) NOT NULL,
        title text NOT NULL,
        body text,
        assigned_to varchar(64),
        due_date timestamptz NOT NULL,
        completed boolean NOT NULL DEFAULT false,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      'CREATE INDEX "IDX_solarmarket_tasks_location_contact" ' +
        'ON solarmarket_tasks (location_id, contact_id)',
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE solarmarket_tasks');
    await db.query('DROP TABLE automation_effects');
    await db.query('DROP TABLE automation_rule_settings');
  }
}
