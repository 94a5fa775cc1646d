// `npm run bench -- rules`: 10,000 contact `sync-completed` events through the sync worker's
// automation consumer (the real path: its queue, batching, record reads, the effect ledger,
// SolarMarket follow-up tasks, team notices on the notifications queue, reminder timers),
// against 20 enabled rules, on a scratch database and queue prefix of its own.
//
// Then a share of the events is delivered again (the same event ids, and fresh ids for the same
// contacts, as duplicate webhooks would cause) while nothing in the records changed: every
// effect that appears then, and every subject with two effects, is an effect done twice.
// The baseline is the same 10,000 events evaluated in memory only (no Postgres, no Redis).
// Before the first pass, 1,000 events for the contacts of a warm-up location of their own go
// through the same path, uncounted: the figure is the worker's rate once its code is compiled,
// as it runs for days, not its first seconds.
//
// Last line: `rules: events_per_s=<n> duplicates=<n>`
//   events_per_s  events handled per second, from the first add to the drained queue
//   duplicates    effects done twice, counted in Postgres after the replay
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';

import { conditionsHold, loadRuleFolder, Rule } from '@sm/automation-rules';
import { loadConfig } from '@sm/config';
import { dataSourceOptions } from '@sm/entities';
import { startService } from '@sm/platform';
import { JobName, QueueName, redisOptionsFromUrl, syncCompletedQueue } from '@sm/queues';
import { buildSyncCompletedEvent, SyncCompletedEvent } from '@sm/sync-events';
import { createTestDatabase, TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import { AppModule } from '../apps/sync-worker/src/app.module';
import { AUTOMATION_CONSUMER } from '../apps/sync-worker/src/automation/automation.config';
import { syncWorkerEnv } from '../apps/sync-worker/src/config/sync-worker.config';

const EVENTS = 10_000;
const CONTACTS = 5_000;
const LOCATIONS = ['BenchRulesLocation1', 'BenchRulesLocation2'];
const WARMUP = { locations: ['BenchRulesWarmup001'], contacts: 1_000, events: 1_000 };
const MEASURED = { locations: LOCATIONS, contacts: CONTACTS };
const REPLAY_SHARE = 0.3;
const TAGS = ['solar', 'roof', 'battery', 'vip', 'referral', 'ev', 'commercial', 'cold'];
const SOURCES = ['facebook', 'google', 'website', 'referral', 'expo'];
const HOUR_MS = 3_600_000;
const DEADLINE_MS = 100_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Twenty rules: sixteen of the operator's own beside four built-in templates. */
function benchRules(): { file: string; ids: string[] } {
  const own: Rule[] = [];
  TAGS.forEach((tag, index) =>
    own.push({
      id: `lead-${tag}`,
      name: `New ${tag} lead`,
      trigger: { event: 'contact.created', withinHours: 48 },
      conditions: [
        { field: 'contact.tags', includesAny: [tag] },
        { field: 'contact.source', notEquals: SOURCES[index % SOURCES.length] },
      ],
      actions:
        index % 2 === 0
          ? [{ type: 'create-follow-up', title: `Call {{contact.name}} (${tag})` }]
          : [
              { type: 'create-follow-up', title: `Visit {{contact.name}} (${tag})` },
              { type: 'notify-team', notice: `new-${tag}-lead` },
            ],
    }),
  );
  SOURCES.forEach((source) =>
    own.push({
      id: `source-${source}`,
      name: `Lead from ${source}`,
      trigger: { event: 'contact.created' },
      conditions: [
        { field: 'contact.source', equals: source },
        { field: 'contact.customFields.roof', in: ['flat', 'pitched'] },
      ],
      actions: [{ type: 'notify-team', notice: `lead-from-${source}` }],
    }),
  );
  own.push(
    {
      id: 'vip-task-done',
      name: 'VIP task done',
      trigger: { event: 'task.completed' },
      conditions: [{ field: 'contact.tags', includesAll: ['vip'] }],
      actions: [{ type: 'create-follow-up', title: 'Thank {{contact.name}}', dueInHours: 2 }],
    },
    {
      id: 'showed-survey',
      name: 'Survey after a visit',
      trigger: { event: 'appointment.status', statuses: ['showed'] },
      actions: [{ type: 'create-follow-up', title: 'Send the survey to {{contact.name}}' }],
    },
    {
      id: 'big-roof-lead',
      name: 'Big roof',
      trigger: { event: 'contact.created' },
      conditions: [{ field: 'contact.customFields.roofArea', greaterThan: 150 }],
      actions: [{ type: 'create-follow-up', title: 'Size a large array for {{contact.name}}' }],
    },
  );
  const builtIns = [
    'task-completed-team-notice',
    'no-show-follow-up',
    'task-due-reminder',
    'appointment-reminder',
  ];
  const ids = [...own.map((rule) => rule.id), ...builtIns];
  const everywhere = Object.fromEntries(ids.map((id) => [id, { enabled: true }]));
  const file = JSON.stringify({ rules: own, locations: { '*': everywhere } }, null, 2);

  return { file, ids };
}

interface Seeded {
  contacts: Array<Record<string, unknown>>;
  tasks: Array<Record<string, unknown>>;
  appointments: Array<Record<string, unknown>>;
}

interface ContactPool {
  locations: string[];
  contacts: number;
}

function contactId(pool: ContactPool, index: number): string {
  return `bench-${pool.locations[0]}-${String(index).padStart(6, '0')}`;
}

/** Contacts created in the last hour, one task each, an appointment for half of them. */
function seed(pool: ContactPool, seeded: Seeded = { contacts: [], tasks: [], appointments: [] }) {
  const now = Date.now();
  for (let i = 0; i < pool.contacts; i += 1) {
    const locationId = pool.locations[i % pool.locations.length];
    const id = contactId(pool, i);
    seeded.contacts.push({
      location_id: locationId,
      id,
      name: `Lead ${i}`,
      source: SOURCES[i % SOURCES.length],
      tags: [TAGS[i % TAGS.length], TAGS[(i * 7 + 3) % TAGS.length]],
      custom_fields: { roof: i % 3 === 0 ? 'flat' : 'pitched', roofArea: (i * 37) % 300 },
      assigned_to: `user-${i % 12}`,
      ghl_date_added: new Date(now - (i % 60) * 60_000).toISOString(),
    });
    const completed = i % 3 === 0;
    seeded.tasks.push({
      location_id: locationId,
      id: `task-${id}`,
      contact_id: id,
      title: 'Call back',
      completed,
      completed_at: completed ? new Date(now - 10 * 60_000).toISOString() : null,
      due_date: new Date(now + (2 + (i % 48)) * HOUR_MS).toISOString(),
    });
    if (i % 2 === 0) {
      const status = ['noshow', 'showed', 'booked', 'confirmed'][i % 4];
      const past = status === 'noshow' || status === 'showed';
      seeded.appointments.push({
        location_id: locationId,
        id: `appt-${id}`,
        contact_id: id,
        title: 'Roof survey',
        status,
        start_time: new Date(now + (past ? -2 : 30) * HOUR_MS).toISOString(),
      });
    }
  }

  return seeded;
}

async function insertSeed(dataSource: DataSource, seeded: Seeded): Promise<void> {
  const chunks = <T>(rows: T[]) =>
    Array.from({ length: Math.ceil(rows.length / 1_000) }, (_, i) =>
      rows.slice(i * 1_000, (i + 1) * 1_000),
    );
  for (const rows of chunks(seeded.contacts)) {
    await dataSource.query(
      `INSERT INTO contacts (location_id, id, name, source, tags, custom_fields, assigned_to,
         ghl_date_added, source_version_at, first_version_at, synced_at)
       SELECT location_id, id, name, source, tags, custom_fields, assigned_to, ghl_date_added,
              now(), now(), now()
       FROM jsonb_to_recordset($1::jsonb) AS r(location_id text, id text, name text, source text,
         tags text[], custom_fields jsonb, assigned_to text, ghl_date_added timestamptz)`,
      [JSON.stringify(rows)],
    );
  }
  for (const rows of chunks(seeded.tasks)) {
    await dataSource.query(
      `INSERT INTO contact_tasks (location_id, id, contact_id, title, completed, completed_at,
         due_date, source_version_at, first_version_at, synced_at)
       SELECT location_id, id, contact_id, title, completed, completed_at, due_date, now(), now(),
              now()
       FROM jsonb_to_recordset($1::jsonb) AS r(location_id text, id text, contact_id text,
         title text, completed boolean, completed_at timestamptz, due_date timestamptz)`,
      [JSON.stringify(rows)],
    );
  }
  for (const rows of chunks(seeded.appointments)) {
    await dataSource.query(
      `INSERT INTO contact_appointments (location_id, id, contact_id, title, status, start_time,
         source_version_at, first_version_at, synced_at)
       SELECT location_id, id, contact_id, title, status, start_time, now(), now(), now()
       FROM jsonb_to_recordset($1::jsonb) AS r(location_id text, id text, contact_id text,
         title text, status text, start_time timestamptz)`,
      [JSON.stringify(rows)],
    );
  }
  for (const locationId of [...LOCATIONS, ...WARMUP.locations]) {
    await dataSource.query(
      `INSERT INTO ghl_connections (location_id, status, scopes) VALUES ($1, 'active', $2)`,
      [locationId, ['contacts.readonly']],
    );
  }
}

/** Events for the pool's contacts (two per contact for 10,000 of 5,000), in a shuffled order. */
function contactEvents(count: number, pool: ContactPool = MEASURED): SyncCompletedEvent[] {
  const events = Array.from({ length: count }, (_, i) => {
    const contact = (i * 7_919) % pool.contacts;
    const locationId = pool.locations[contact % pool.locations.length];

    return buildSyncCompletedEvent({
      locationId,
      scope: 'contact',
      contactId: contactId(pool, contact),
      trigger: 'webhook',
    });
  });

  return events;
}

async function deliverAll(queue: Queue, events: SyncCompletedEvent[]): Promise<number> {
  const startedAt = performance.now();
  for (let i = 0; i < events.length; i += 1_000) {
    await queue.addBulk(
      events.slice(i, i + 1_000).map((event) => ({
        name: JobName.SyncCompleted,
        data: event,
        opts: { jobId: event.eventId, removeOnComplete: true },
      })),
    );
  }
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const counts = await queue.getJobCounts(
      'waiting',
      'active',
      'prioritized',
      'delayed',
      'failed',
    );
    if (counts.failed > 0) {
      const [job] = await queue.getFailed(0, 0);
      throw new Error(`an event failed: ${job?.failedReason}`);
    }
    if (counts.waiting + counts.active + counts.prioritized + counts.delayed === 0) break;
    if (Date.now() > deadline) throw new Error('the events were not handled in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return (performance.now() - startedAt) / 1_000;
}

/** The baseline: the same events' contacts evaluated in memory against the same rules. */
function inMemoryRate(rules: Rule[], seeded: Seeded, events: SyncCompletedEvent[]): number {
  const byId = new Map(seeded.contacts.map((row) => [row.id as string, row]));
  const startedAt = performance.now();
  let matches = 0;
  for (const event of events) {
    const row = byId.get(event.contactId as string) as Record<string, unknown>;
    const contact = { ...row, customFields: row.custom_fields, tags: row.tags };
    for (const rule of rules) if (conditionsHold(rule, { contact })) matches += 1;
  }
  const seconds = (performance.now() - startedAt) / 1_000;
  log(`baseline: ${matches} rule matches in memory`);

  return events.length / seconds;
}

async function effectCounts(dataSource: DataSource) {
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*)::int FROM automation_effects WHERE status = 'done') AS effects,
            (SELECT count(*)::int FROM solarmarket_tasks) AS tasks,
            (SELECT COALESCE(sum(n - 1), 0)::int FROM (
               SELECT count(*) AS n FROM solarmarket_tasks
               GROUP BY location_id, rule_id, contact_id HAVING count(*) > 1) t) AS twice_tasks,
            (SELECT COALESCE(sum(n - 1), 0)::int FROM (
               SELECT count(*) AS n FROM automation_effects WHERE kind = 'notify-team'
               GROUP BY location_id, rule_id, contact_id, action_index HAVING count(*) > 1) e
            ) AS twice_notices`,
  );

  return row as { effects: number; tasks: number; twice_tasks: number; twice_notices: number };
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const prefix = uniqueQueuePrefix('bench-rules');
  const dir = mkdtempSync(path.join(tmpdir(), 'rules-bench-'));
  const rules = benchRules();
  const rulesFile = path.join(dir, 'automation.json');
  writeFileSync(rulesFile, rules.file);
  const dataSource = new DataSource(dataSourceOptions(database.url));
  await dataSource.initialize();
  const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
  const queues = [
    syncCompletedQueue(AUTOMATION_CONSUMER),
    QueueName.Automation,
    QueueName.Notifications,
  ].map((name) => new Queue(name, { connection, prefix }));
  let app: INestApplication | undefined;
  try {
    const seeded = seed(MEASURED);
    await insertSeed(dataSource, seed(WARMUP, seed(MEASURED)));
    const config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      // Nothing here calls GHL or the auth service: loopback ports that refuse.
      GHL_API_BASE_URL: 'http://127.0.0.1:9',
      AUTH_SERVICE_URL: 'http://127.0.0.1:9',
      SERVICE_TOKEN: 'rules-bench-service-token-0123456789abcdef',
      AUTOMATION_RULES_FILE: rulesFile,
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
    const enabled = loadRuleFolderAndFile(rules.ids, rules.file);
    log(`rules: ${enabled.length} enabled in ${LOCATIONS.length} locations, ${CONTACTS} contacts`);

    const baseline = inMemoryRate(enabled, seeded, contactEvents(EVENTS));
    log(`baseline: events_per_s=${Math.round(baseline)} (in memory, no effects)`);

    const warmupSeconds = await deliverAll(queues[0], contactEvents(WARMUP.events, WARMUP));
    const warm = await effectCounts(dataSource);
    log(`warm-up: ${WARMUP.events} events in ${warmupSeconds.toFixed(2)} s (not counted)`);

    const events = contactEvents(EVENTS);
    const seconds = await deliverAll(queues[0], events);
    const first = await effectCounts(dataSource);
    log(
      `first pass: ${EVENTS} events in ${seconds.toFixed(2)} s, ` +
        `${first.effects - warm.effects} effects`,
    );

    const share = Math.round(EVENTS * REPLAY_SHARE);
    const replay = [
      ...events.slice(0, share / 2).map((event) => ({ ...event })),
      ...contactEvents(share / 2),
    ];
    const replaySeconds = await deliverAll(queues[0], replay);
    const after = await effectCounts(dataSource);
    const duplicates =
      after.effects -
      first.effects +
      (after.tasks - first.tasks) +
      after.twice_tasks +
      after.twice_notices;
    log(
      `replay: ${replay.length} events in ${replaySeconds.toFixed(2)} s, ` +
        `${after.effects - first.effects} new effects`,
    );

    process.stdout.write(
      `rules: events_per_s=${Math.round(EVENTS / seconds)} duplicates=${duplicates}\n`,
    );
  } finally {
    await app?.close();
    for (const queue of queues) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    await dataSource.destroy();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The built-ins among the ids and the operator's rules, as the worker enables them. */
function loadRuleFolderAndFile(ids: string[], file: string): Rule[] {
  const own = (JSON.parse(file) as { rules: Rule[] }).rules;
  const builtIns = loadRuleFolder(path.join(__dirname, '../templates'));

  return [...own, ...builtIns].filter((rule) => ids.includes(rule.id));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`rules bench failed: ${(error as Error).stack}\n`);
    process.exit(1);
  },
);
