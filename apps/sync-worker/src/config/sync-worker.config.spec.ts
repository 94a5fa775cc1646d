import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ConnectionOptions, Queue } from 'bullmq';

import { configProblems, Env, loadConfig, MAX_TIMER_MS } from '@sm/config';
import { redisOptionsFromUrl } from '@sm/queues';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueQueuePrefix, WORKSPACE_ROOT } from '@sm/testing';

import { syncWorkerEnv } from './sync-worker.config';

const REQUIRED: Env = {
  DATABASE_URL: 'postgres://127.0.0.1/unused',
  SERVICE_TOKEN: 'spec-service-token-0123456789abcdef',
};

const problemsOf = (env: Env) => configProblems(syncWorkerEnv, { ...REQUIRED, ...env });

describe('sync-worker configuration', () => {
  describe('cron patterns', () => {
    const prefix = uniqueQueuePrefix('sw-config-cron');
    let queue: Queue;

    beforeAll(() => {
      queue = new Queue('cron-check', {
        connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
        prefix,
      });
    });

    afterAll(async () => {
      await queue?.close();
      await deleteQueueKeys(TEST_REDIS_URL, prefix);
    });

    /** Whether a BullMQ job scheduler takes the pattern (in a zone, as the nightly one is set). */
    const schedulerTakes = async (pattern: string) => {
      try {
        await queue.upsertJobScheduler(`check-${pattern}`, { pattern, tz: 'Europe/Berlin' });

        return true;
      } catch {
        return false;
      }
    };

    it('refuses a nightly or sweep pattern out of range, naming each variable', () => {
      const problems = problemsOf({
        NIGHTLY_SYNC_CRON: '61 * * * *',
        TASK_SWEEP_CRON: '0 24 * * *',
      });

      expect(problems).toEqual([
        expect.stringMatching(/^NIGHTLY_SYNC_CRON: must be a cron pattern: .*59/),
        expect.stringMatching(/^TASK_SWEEP_CRON: must be a cron pattern: .*23/),
      ]);
    });

    it.each([
      '61 * * * *',
      '0 24 * * *',
      '0 0 31 2 *',
      '*/0 * * * *',
      '0 0 * * 8',
      'a b c d e',
      '* * * * * * *',
      '0 0,1 * * *',
      '30 * * * *',
      '*/15 9-17 * * MON-FRI',
      '0 0 L * *',
      '0 30 2 * * *',
      '@daily',
    ])('takes %j exactly when a BullMQ job scheduler takes it', async (pattern) => {
      const isTakenByBullmq = await schedulerTakes(pattern);

      const isTakenByConfig = problemsOf({ NIGHTLY_SYNC_CRON: pattern }).length === 0;

      expect(isTakenByConfig).toBe(isTakenByBullmq);
    });

    it('reads a blank pattern as unset, never as every minute (as the parser alone would)', () => {
      const config = loadConfig(syncWorkerEnv, { ...REQUIRED, TASK_SWEEP_CRON: '   ' });

      expect(config.TASK_SWEEP_CRON).toBe('30 * * * *');
    });
  });

  describe('DEFAULT_TIMEZONE', () => {
    it('refuses a zone the runtime does not know', () => {
      expect(problemsOf({ DEFAULT_TIMEZONE: 'Mars/Base' })).toEqual([
        'DEFAULT_TIMEZONE: must be an IANA time zone, e.g. Europe/Berlin',
      ]);
    });

    it.each(['Europe/Kyiv', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])(
      'keeps a known zone as written (%s), not as the runtime may spell it',
      (zone) => {
        expect(loadConfig(syncWorkerEnv, { ...REQUIRED, DEFAULT_TIMEZONE: zone })).toMatchObject({
          DEFAULT_TIMEZONE: zone,
        });
      },
    );

    it('defaults to UTC, unset or blank', () => {
      expect(loadConfig(syncWorkerEnv, REQUIRED).DEFAULT_TIMEZONE).toBe('UTC');
      expect(
        loadConfig(syncWorkerEnv, { ...REQUIRED, DEFAULT_TIMEZONE: '' }).DEFAULT_TIMEZONE,
      ).toBe('UTC');
    });
  });

  describe('URLs', () => {
    it('refuses a URL with a user name or password, which fetch would refuse on every call', () => {
      const problems = problemsOf({
        AUTH_SERVICE_URL: 'http://user:secret-password@127.0.0.1:3001',
        GHL_API_BASE_URL: 'https://user@services.leadconnectorhq.com',
      });

      expect(problems).toEqual([
        'GHL_API_BASE_URL: must carry no user name or password (fetch refuses such a URL)',
        'AUTH_SERVICE_URL: must carry no user name or password (fetch refuses such a URL)',
      ]);
    });

    it('refuses a scheme other than http(s) for GHL and the auth service', () => {
      const problems = problemsOf({
        GHL_API_BASE_URL: 'ftp://services.leadconnectorhq.com',
        AUTH_SERVICE_URL: 'file:///etc/auth',
      });

      expect(problems).toEqual([
        'GHL_API_BASE_URL: must be an http:// or https:// URL',
        'AUTH_SERVICE_URL: must be an http:// or https:// URL',
      ]);
    });

    it('refuses an auth service URL with a path, which the token request would drop', () => {
      expect(problemsOf({ AUTH_SERVICE_URL: 'http://auth.internal:3001/auth' })).toEqual([
        'AUTH_SERVICE_URL: must be an origin only (no path, query or fragment)',
      ]);
      expect(problemsOf({ AUTH_SERVICE_URL: 'http://auth.internal:3001/' })).toEqual([]);
    });
  });

  describe('numbers', () => {
    it('refuses a delay longer than a Node timer holds (it would fire after 1 ms)', () => {
      const tooLong = String(MAX_TIMER_MS + 1);

      const problems = problemsOf({
        OUTBOX_POLL_MS: tooLong,
        WORKER_LOCK_MS: tooLong,
        WORKER_STALLED_CHECK_MS: tooLong,
        GHL_TIMEOUT_MS: tooLong,
        CONTACT_SYNC_COALESCE_MS: tooLong,
      });

      expect(problems.map((line) => line.split(':')[0])).toEqual([
        'CONTACT_SYNC_COALESCE_MS',
        'OUTBOX_POLL_MS',
        'WORKER_LOCK_MS',
        'WORKER_STALLED_CHECK_MS',
        'GHL_TIMEOUT_MS',
      ]);
      expect(problems[0]).toContain(`must be at most ${MAX_TIMER_MS}`);
      expect(problemsOf({ OUTBOX_POLL_MS: String(MAX_TIMER_MS) })).toEqual([]);
    });

    it('refuses a concurrency above 100 and a negative coalescing window', () => {
      const problems = problemsOf({
        SYNC_CONCURRENCY: '1000',
        CHILD_FETCH_CONCURRENCY: '101',
        CONTACT_SYNC_COALESCE_MS: '-1',
      });

      expect(problems).toEqual([
        'SYNC_CONCURRENCY: must be at most 100 (more only waits for Postgres or GHL)',
        'CHILD_FETCH_CONCURRENCY: must be at most 100 (more only waits for Postgres or GHL)',
        'CONTACT_SYNC_COALESCE_MS: must be at least 0',
      ]);
    });

    it('refuses a history retention shorter than the outbox replay window', () => {
      const twoDays = String(2 * 86_400_000);

      const short = problemsOf({ HISTORY_RETENTION_DAYS: '1', OUTBOX_REPLAY_WINDOW_MS: twoDays });
      const covering = problemsOf({
        HISTORY_RETENTION_DAYS: '2',
        OUTBOX_REPLAY_WINDOW_MS: twoDays,
      });

      expect(short).toEqual([
        'HISTORY_RETENTION_DAYS: must cover OUTBOX_REPLAY_WINDOW_MS (2 days)',
      ]);
      expect(covering).toEqual([]);
    });

    it('refuses a shutdown timeout that would cut the drain short', () => {
      expect(problemsOf({ SHUTDOWN_TIMEOUT_MS: '20000', WORKER_DRAIN_MS: '20000' })).toEqual([
        'SHUTDOWN_TIMEOUT_MS: must be longer than WORKER_DRAIN_MS (20000 ms)',
      ]);
      expect(problemsOf({ SHUTDOWN_TIMEOUT_MS: '20001', WORKER_DRAIN_MS: '20000' })).toEqual([]);
      expect(problemsOf({})).toEqual([]);
    });
  });

  it('checks the automation variables wherever the environment is loaded, naming each', () => {
    const problems = problemsOf({
      AUTOMATION_STALE_SCAN_CRON: '61 * * * *',
      AUTOMATION_ENABLED_RULES: 'nope-rule',
      AUTOMATION_EFFECT_LEASE_MS: String(MAX_TIMER_MS + 1),
    });

    expect(problems).toEqual([
      expect.stringMatching(/^AUTOMATION_STALE_SCAN_CRON: must be a cron pattern/),
      expect.stringMatching(/^AUTOMATION_EFFECT_LEASE_MS: must be at most 2147483647/),
      expect.stringMatching(/^AUTOMATION_ENABLED_RULES: no rule nope-rule/),
    ]);
  });

  describe('AUTOMATION_RULES_FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-config-rules-'));
    let files = 0;

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const problemsOfFile = (lines: string[]) => {
      files += 1;
      const file = path.join(dir, `automation-${files}.yaml`);
      writeFileSync(file, `${lines.join('\n')}\n`);

      return problemsOf({ AUTOMATION_RULES_FILE: file });
    };
    const followUpRule = (id: string, conditions: string[], title: string) => [
      'rules:',
      `  - id: ${id}`,
      '    name: Field check',
      '    trigger: { event: contact.created }',
      ...(conditions.length > 0 ? ['    conditions:', ...conditions] : []),
      '    actions:',
      `      - { type: create-follow-up, title: '${title}', dueInHours: 4 }`,
    ];

    it('refuses a rule whose condition names a field the contact has not, naming both', () => {
      const problems = problemsOfFile(
        followUpRule('typo-condition', ['      - { field: contact.nmae, equals: x }'], 'Call'),
      );

      expect(problems).toEqual([
        expect.stringMatching(
          new RegExp(
            '^AUTOMATION_RULES_FILE: rules\\[0\\] \\(typo-condition\\) /conditions/0/field ' +
              'contact\\.nmae is not a contact field \\(did you mean contact\\.name\\?\\); ' +
              'contact fields: id, ',
          ),
        ),
      ]);
    });

    it('refuses a placeholder naming a field the contact has not, and one never closed', () => {
      const typo = problemsOfFile(followUpRule('typo-placeholder', [], 'Call {{contact.nmae}}'));
      const unclosed = problemsOfFile(followUpRule('unclosed', [], 'Call {{contact.name'));

      expect(typo).toEqual([
        expect.stringContaining(
          'AUTOMATION_RULES_FILE: rules[0] (typo-placeholder) /actions/0/title ' +
            '{{contact.nmae}}: contact.nmae is not a contact field (did you mean contact.name?)',
        ),
      ]);
      expect(unclosed).toEqual([
        'AUTOMATION_RULES_FILE: rules[0] (unclosed) /actions/0/title has a {{ without its }}, ' +
          'at character 6 (a placeholder is {{contact.name}})',
      ]);
    });

    it("refuses a location's tuning whose conditions name a field the rule has not", () => {
      const problems = problemsOfFile([
        'locations:',
        '  loc-1:',
        '    new-lead-follow-up:',
        '      enabled: true',
        '      overrides:',
        '        conditions: [{ field: task.title, exists: true }]',
      ]);

      expect(problems).toEqual([
        'AUTOMATION_RULES_FILE: locations.loc-1.new-lead-follow-up: /conditions/0/field ' +
          'task.title reads the task, which a contact.created rule has not: it reads contact.*',
      ]);
    });
  });

  it('--check-config stops the service with a message naming each bad variable', () => {
    const run = spawnSync(
      process.execPath,
      [
        path.join(WORKSPACE_ROOT, 'tools/run-ts.cjs'),
        'apps/sync-worker/src/main.ts',
        '--check-config',
      ],
      {
        cwd: WORKSPACE_ROOT,
        env: {
          PATH: process.env.PATH,
          ...REQUIRED,
          NIGHTLY_SYNC_CRON: '61 * * * *',
          DEFAULT_TIMEZONE: 'Mars/Base',
          AUTH_SERVICE_URL: 'ftp://127.0.0.1:3001',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('NIGHTLY_SYNC_CRON: must be a cron pattern');
    expect(run.stderr).toContain('DEFAULT_TIMEZONE: must be an IANA time zone');
    expect(run.stderr).toContain('AUTH_SERVICE_URL: must be an http:// or https:// URL');
  });
});
