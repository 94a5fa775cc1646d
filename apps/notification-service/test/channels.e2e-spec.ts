import { randomBytes } from 'node:crypto';

import type { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';
import type { DataSource } from 'typeorm';

import { Contact, createDataSource, Notification, Task } from '@sm/entities';
import { startService } from '@sm/platform';
import {
  AdminAlertJob,
  JobName,
  QueueName,
  redisOptionsFromUrl,
  ReminderDueJob,
  TaskCompletedJob,
  TeamNoticeJob,
  TeamNoticesJob,
} from '@sm/queues';
import {
  createTestDatabase,
  eventually,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
  WebhookEndpoint,
} from '@sm/testing';

import { AppModule } from '../src/app.module';
import { notificationServiceEnv } from '../src/config/notification-service.config';
import { deliveryQueueName } from '../src/delivery/delivery-queues';

import { seedCompletedTask } from './records';
import { SignedWebhookReceiver } from './signed-webhook-receiver';
import { ReceivedMail, SmtpInbox } from './smtp-inbox';

const ATTEMPTS = 3;
const SALES_SLACK = '/services/T2/B1/sales-secret';
const ADMIN_SLACK = '/services/T2/B9/admin-secret';
const SALES = 'sales@solar.test';
const ROOFING = 'roofing@solar.test';
const BUSY = 'busy@solar.test';
const REFUSING = 'refusing@solar.test';
const OPS = 'ops@solar.test';
// Recipients of one message, each answering RCPT TO in its own way.
const KEPT = 'kept@solar.test';
const LEFT = 'left-the-company@solar.test';
const FULL = 'mailbox-full-once@solar.test';
const STUCK = 'deferring@solar.test';

/** Email, the signed webhook and routing per location and team, against real local servers. */
describe('notification-service channels', () => {
  const signingSecret = randomBytes(32).toString('hex');
  let database: TestDatabase;
  let records: DataSource;
  let slack: WebhookEndpoint;
  let inbox: SmtpInbox;
  let receiver: SignedWebhookReceiver;
  let app: INestApplication;
  let queues: Queue[];
  let notifications: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    records = await createDataSource(database.url).initialize();
    slack = await new WebhookEndpoint().start();
    inbox = await new SmtpInbox().start();
    receiver = await new SignedWebhookReceiver(signingSecret).start();
    inbox.respond(BUSY, (attempt) => (attempt === 1 ? 451 : null));
    inbox.respond(REFUSING, () => 550);
    inbox.respondAtRcpt(LEFT, () => 550);
    inbox.respondAtRcpt(FULL, (attempt) => (attempt === 1 ? 452 : null));
    inbox.respondAtRcpt(STUCK, () => 451);
    receiver.respond('/crm/flaky', (attempt) => (attempt < ATTEMPTS ? 503 : 200));

    const prefix = uniqueQueuePrefix('notif-chan');
    const config = notificationServiceEnv.parse({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      NOTIFY_SMTP_URL: inbox.url(),
      NOTIFY_EMAIL_FROM: 'SolarMarket <notices@solar.test>',
      NOTIFY_WEBHOOK_SIGNING_SECRET: signingSecret,
      NOTIFY_ADMIN_SLACK_WEBHOOK_URL: slack.url(ADMIN_SLACK),
      NOTIFY_ADMIN_EMAIL_TO: OPS,
      NOTIFY_ADMIN_SIGNED_WEBHOOK_URL: receiver.url('/ops'),
      NOTIFY_TEAM_ROUTES: JSON.stringify({
        'loc-mail': { email: [SALES] },
        'loc-teams': {
          slack: slack.url(SALES_SLACK),
          email: [SALES],
          webhook: receiver.url('/crm/sales'),
          teams: {
            roofing: {
              users: ['user-roof-1', 'user-roof-2'],
              email: [ROOFING],
              webhook: receiver.url('/crm/roofing'),
            },
          },
        },
        'loc-busy': { email: [BUSY] },
        'loc-refusing': { email: [REFUSING] },
        'loc-one-left': { email: [KEPT, LEFT] },
        'loc-one-full': { email: [KEPT, LEFT, FULL] },
        'loc-one-stuck': { email: [KEPT, STUCK] },
        'loc-flaky': { webhook: receiver.url('/crm/flaky') },
      }),
      NOTIFY_DELIVERY_ATTEMPTS: String(ATTEMPTS),
      NOTIFY_BACKOFF_MS: '40',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });

    const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
    notifications = new Queue(QueueName.Notifications, { connection, prefix });
    queues = [
      notifications,
      ...['slack', 'email', 'webhook'].map(
        (channel) => new Queue(deliveryQueueName(channel), { connection, prefix }),
      ),
    ];
  });

  afterAll(async () => {
    await app?.close();
    for (const queue of queues ?? []) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await Promise.all([slack?.stop(), inbox?.stop(), receiver?.stop()]);
    await records?.destroy();
    await database?.drop();
  });

  async function settled(): Promise<void> {
    await eventually(
      async () => {
        const counts = await Promise.all(
          queues.map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')),
        );
        const pending = counts.flatMap((count) => Object.values(count));

        return pending.every((value) => value === 0) ? true : undefined;
      },
      20_000,
      'the queues to settle',
    );
  }

  async function completeTask(ids: TaskCompletedJob, assignedTo: string | null): Promise<void> {
    await seedCompletedTask(records, ids, {
      title: 'Send the roof survey',
      firstName: 'Dana',
      lastName: 'Reyes',
      assignedTo,
    });
  }

  function rowsOfTask(locationId: string, taskId: string): Promise<Notification[]> {
    return records
      .getRepository(Notification)
      .createQueryBuilder('notification')
      .where('notification.dedupe_key LIKE :prefix', {
        prefix: `task-completed:${locationId}:${taskId}:%`,
      })
      .orderBy('notification.channel')
      .getMany();
  }

  describe('email over SMTP', () => {
    it('delivers one email with the summary as subject and the facts in its body', async () => {
      const ids = { locationId: 'loc-mail', contactId: 'c-m1', taskId: 't-m1' };
      await completeTask(ids, 'user-77');

      await notifications.add(JobName.TaskCompleted, ids);
      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      const mails = inbox.mailTo(SALES).filter((mail) => mail.parsed.subject?.includes('loc-mail'));
      const [row] = await rowsOfTask('loc-mail', 't-m1');
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail.user).toBe(inbox.user);
      expect(mail.parsed.subject).toBe(
        'Task completed: "Send the roof survey" for Dana Reyes, assigned to user user-77, ' +
          'in location loc-mail',
      );
      expect(mail.parsed.from?.text).toBe('"SolarMarket" <notices@solar.test>');
      expect(mail.parsed.text).toContain('Contact: Dana Reyes\nAssigned to: user user-77\n');
      expect(mail.parsed.html).toContain('<th align="left">Task</th><td>Send the roof survey</td>');
      expect(mail.parsed.messageId).toBe(`<${row.id}@notification-service.solarmarket>`);
      expect(row).toMatchObject({ channel: 'email', status: 'delivered', attempts: 1 });
    });

    it('retries after a 4xx reply and delivers on the next attempt', async () => {
      const ids = { locationId: 'loc-busy', contactId: 'c-m2', taskId: 't-m2' };
      await completeTask(ids, null);

      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      expect(inbox.attemptsFor(BUSY)).toBe(2);
      expect(inbox.mailTo(BUSY)).toHaveLength(1);
      const [row] = await rowsOfTask('loc-busy', 't-m2');
      expect(row).toMatchObject({ status: 'delivered', attempts: 2 });
    });

    it('gives up at once on a 5xx reply and alerts admins on every admin channel', async () => {
      const ids = { locationId: 'loc-refusing', contactId: 'c-m3', taskId: 't-m3' };
      await completeTask(ids, null);

      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      const [row] = await rowsOfTask('loc-refusing', 't-m3');
      expect(row).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: 'SMTP 550 (EMESSAGE)',
      });
      expect(inbox.attemptsFor(REFUSING)).toBe(1);
      const about = (text: string | undefined) => text?.includes(row.id) ?? false;
      expect(inbox.mailTo(OPS).filter((mail) => about(mail.parsed.subject))).toHaveLength(1);
      expect(slack.postsTo(ADMIN_SLACK).filter((post) => about(post.body.text))).toHaveLength(1);
      expect(receiver.postsTo('/ops').filter((post) => about(post.body.summary))).toHaveLength(1);
    });
  });

  describe('email with recipients refused at RCPT TO', () => {
    const alertsAbout = (id: string) =>
      inbox.mailTo(OPS).filter((mail) => mail.parsed.text?.includes(id) ?? false);

    async function notifyOnce(ids: TaskCompletedJob): Promise<Notification> {
      await completeTask(ids, null);

      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      const [row] = await rowsOfTask(ids.locationId, ids.taskId);

      return row;
    }

    function mailsTo(recipient: string, locationId: string): ReceivedMail[] {
      return inbox.mailTo(recipient).filter((mail) => mail.parsed.subject?.includes(locationId));
    }

    it('fails the row naming the refused recipient, mails the others once, alerts', async () => {
      const row = await notifyOnce({
        locationId: 'loc-one-left',
        contactId: 'c-p1',
        taskId: 't-p1',
      });

      expect(mailsTo(KEPT, 'loc-one-left').map((mail) => mail.to)).toEqual([[KEPT]]);
      expect(row).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: 'SMTP 550 (EENVELOPE) for 1 of 2 recipients',
        acceptedRecipients: [KEPT],
        refusedRecipients: [LEFT],
      });
      const alerts = alertsAbout(row.id);
      expect(alerts).toHaveLength(1);
      expect(alerts[0].parsed.text).toContain('refused_recipients');
      expect(alerts[0].parsed.text).not.toContain(LEFT);
    });

    it('retries a recipient deferred by a 4xx alone, one refused by a 5xx never', async () => {
      const leftBefore = inbox.rcptAttemptsFor(LEFT);

      const row = await notifyOnce({
        locationId: 'loc-one-full',
        contactId: 'c-p2',
        taskId: 't-p2',
      });

      expect(mailsTo(KEPT, 'loc-one-full').map((mail) => mail.to)).toEqual([[KEPT]]);
      expect(mailsTo(FULL, 'loc-one-full').map((mail) => mail.to)).toEqual([[FULL]]);
      expect(inbox.rcptAttemptsFor(LEFT) - leftBefore).toBe(1);
      expect(row).toMatchObject({
        status: 'failed',
        attempts: 2,
        lastError: 'SMTP 5xx for 1 of the recipients, on an earlier try',
        acceptedRecipients: [KEPT, FULL],
        refusedRecipients: [LEFT],
      });
      expect(alertsAbout(row.id)).toHaveLength(1);
    });

    it('lists a recipient deferring it on every try as refused when tries run out', async () => {
      const row = await notifyOnce({
        locationId: 'loc-one-stuck',
        contactId: 'c-p3',
        taskId: 't-p3',
      });

      expect(mailsTo(KEPT, 'loc-one-stuck')).toHaveLength(1);
      expect(inbox.rcptAttemptsFor(STUCK)).toBe(ATTEMPTS);
      expect(row).toMatchObject({
        status: 'failed',
        attempts: ATTEMPTS,
        lastError: 'SMTP 451 (EENVELOPE) for 1 of 1 recipients',
        acceptedRecipients: [KEPT],
        refusedRecipients: [STUCK],
      });
      expect(alertsAbout(row.id)).toHaveLength(1);
    });
  });

  describe('signed webhook', () => {
    it('posts a body that verifies with the shared secret, and the notification id', async () => {
      const ids = { locationId: 'loc-teams', contactId: 'c-w1', taskId: 't-w1' };
      await completeTask(ids, 'user-sales');

      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      const [post] = receiver.postsTo('/crm/sales');
      const row = (await rowsOfTask('loc-teams', 't-w1')).find((r) => r.channel === 'webhook');
      expect(receiver.rejected).toBe(0);
      expect(post.notificationId).toBe(row?.id);
      expect(post.body).toMatchObject({
        version: 1,
        notificationId: row?.id,
        kind: 'task-completed',
        audience: 'team',
        locationId: 'loc-teams',
        refs: { locationId: 'loc-teams', contactId: 'c-w1', taskId: 't-w1' },
      });
      expect(post.body.summary).toContain('"Send the roof survey" for Dana Reyes');
    });

    it('retries a failing receiver with backoff until it accepts', async () => {
      const ids = { locationId: 'loc-flaky', contactId: 'c-w2', taskId: 't-w2' };
      await completeTask(ids, null);

      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      expect(receiver.attemptsAt('/crm/flaky')).toBe(ATTEMPTS);
      expect(receiver.postsTo('/crm/flaky')).toHaveLength(1);
      const [row] = await rowsOfTask('loc-flaky', 't-w2');
      expect(row).toMatchObject({ status: 'delivered', attempts: ATTEMPTS });
    });
  });

  describe('routing per location and team', () => {
    it("notifies the assignee's team through each of its channels, once per channel", async () => {
      const ids = { locationId: 'loc-teams', contactId: 'c-r1', taskId: 't-r1' };
      await completeTask(ids, 'user-roof-2');
      const salesSlackBefore = slack.postsTo(SALES_SLACK).length;

      await notifications.add(JobName.TaskCompleted, ids);
      await notifications.add(JobName.TaskCompleted, ids);
      await settled();
      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      const rows = await rowsOfTask('loc-teams', 't-r1');
      expect(rows.map((row) => [row.channel, row.status])).toEqual([
        ['email', 'delivered'],
        ['webhook', 'delivered'],
      ]);
      const roofingMail = inbox
        .mailTo(ROOFING)
        .filter((mail) => mail.parsed.text?.includes('roofing'));
      expect(roofingMail).toHaveLength(1);
      expect(roofingMail[0].parsed.text).toContain('Team: roofing');
      const roofingPosts = receiver.postsTo('/crm/roofing');
      expect(roofingPosts).toHaveLength(1);
      expect(roofingPosts[0].body.refs.team).toBe('roofing');
      expect(slack.postsTo(SALES_SLACK).length - salesSlackBefore).toBe(0);
    });

    it("notifies the location's channels when the assignee is in none of its teams", async () => {
      const ids = { locationId: 'loc-teams', contactId: 'c-r2', taskId: 't-r2' };
      await completeTask(ids, 'user-new-hire');

      await notifications.add(JobName.TaskCompleted, ids);
      await settled();

      const rows = await rowsOfTask('loc-teams', 't-r2');
      expect(rows.map((row) => row.channel)).toEqual(['email', 'slack', 'webhook']);
      expect(rows.every((row) => row.status === 'delivered')).toBe(true);
      const mentions = (text: string | undefined) => text?.includes('user-new-hire') ?? false;
      expect(slack.postsTo(SALES_SLACK).filter((post) => mentions(post.body.text))).toHaveLength(1);
      expect(inbox.mailTo(SALES).filter((mail) => mentions(mail.parsed.subject))).toHaveLength(1);
      expect(inbox.mailTo(ROOFING).filter((mail) => mentions(mail.parsed.subject))).toEqual([]);
    });
  });

  describe('admin alerts', () => {
    it.each([
      ['connection-reauth-required', 'connection-reauth-required:loc-teams'],
      ['job-parked', 'job-parked:contact-sync:loc-teams:c-9'],
      ['ghl-budget-exhausted', 'ghl-budget-exhausted:loc-teams:2025-06-01'],
    ] as const)('delivers a %s alert once on each admin channel', async (kind, dedupeKey) => {
      const alert: AdminAlertJob = {
        kind,
        locationId: 'loc-teams',
        dedupeKey,
        summary: `Something for ops (${kind})`,
      };

      await notifications.add(JobName.AdminAlert, alert);
      await notifications.add(JobName.AdminAlert, alert);
      await settled();

      const text = `[${kind}] Something for ops (${kind})`;
      expect(slack.postsTo(ADMIN_SLACK).filter((post) => post.body.text === text)).toHaveLength(1);
      expect(inbox.mailTo(OPS).filter((mail) => mail.parsed.subject === text)).toHaveLength(1);
      const posts = receiver.postsTo('/ops').filter((post) => post.body.summary === text);
      expect(posts).toHaveLength(1);
      expect(posts[0].body).toMatchObject({ kind, audience: 'admin', locationId: 'loc-teams' });
    });
  });

  describe('rule notices and reminders', () => {
    async function seedOpenTask(ids: TaskCompletedJob, assignedTo: string): Promise<void> {
      await seedCompletedTask(records, ids, {
        title: 'Call about the inverter',
        firstName: 'Ravi',
        lastName: 'Menon',
        assignedTo,
      });
      await records
        .getRepository(Task)
        .update(
          { locationId: ids.locationId, id: ids.taskId },
          { completed: false, completedAt: null },
        );
    }

    function rowsWithKey(eventKey: string): Promise<Notification[]> {
      return records
        .getRepository(Notification)
        .createQueryBuilder('notification')
        .where('notification.dedupe_key LIKE :prefix', { prefix: `notice:${eventKey}:%` })
        .orderBy('notification.channel')
        .getMany();
    }

    it("sends a rule's new-lead notice to the contact owner's team, once per channel", async () => {
      const ids = { locationId: 'loc-teams', contactId: 'c-n1', taskId: 't-n1' };
      await completeTask(ids, null);
      await records
        .getRepository(Contact)
        .update(
          { locationId: ids.locationId, id: ids.contactId },
          { assignedTo: 'user-roof-1', source: 'Website form' },
        );
      const job: TeamNoticeJob = {
        locationId: ids.locationId,
        contactId: ids.contactId,
        ruleId: 'new-lead-follow-up',
        notice: 'new-lead',
        subject: null,
        dedupeKey: 'team-notice:effect-n1',
      };

      await notifications.add(JobName.TeamNotice, job);
      await notifications.add(JobName.TeamNotice, job);
      await settled();

      const rows = await rowsWithKey('team-notice:effect-n1');
      expect(rows.map((row) => [row.channel, row.kind, row.status])).toEqual([
        ['email', 'team-notice', 'delivered'],
        ['webhook', 'team-notice', 'delivered'],
      ]);
      const subject = 'New lead: Dana Reyes in location loc-teams';
      const mails = inbox.mailTo(ROOFING).filter((mail) => mail.parsed.subject === subject);
      expect(mails).toHaveLength(1);
      expect(mails[0].parsed.text).toContain('Source: Website form\nAssigned to: user user-roof-1');
      const post = receiver.postsTo('/crm/roofing').find((p) => p.body.summary === subject);
      expect(post?.body.refs).toMatchObject({ notice: 'new-lead', ruleId: 'new-lead-follow-up' });
    });

    it('sends each notice of team.notices jobs once, however grouped and redelivered', async () => {
      const leads = [
        { locationId: 'loc-teams', contactId: 'c-n4', taskId: 't-n4', firstName: 'Mira' },
        { locationId: 'loc-teams', contactId: 'c-n5', taskId: 't-n5', firstName: 'Omar' },
      ];
      for (const { firstName, ...ids } of leads) {
        await seedCompletedTask(records, ids, {
          title: 'Call back',
          firstName,
          lastName: 'Lind',
          assignedTo: null,
        });
        await records
          .getRepository(Contact)
          .update({ locationId: ids.locationId, id: ids.contactId }, { assignedTo: 'user-roof-1' });
      }
      const notices: TeamNoticeJob[] = leads.map((lead) => ({
        locationId: lead.locationId,
        contactId: lead.contactId,
        ruleId: 'new-lead-follow-up',
        notice: 'new-lead',
        subject: null,
        dedupeKey: `team-notice:effect-${lead.contactId}`,
      }));
      const both: TeamNoticesJob = { notices };

      await notifications.add(JobName.TeamNotices, both);
      await notifications.add(JobName.TeamNotices, both);
      await notifications.add(JobName.TeamNotices, { notices: [notices[1]] });
      await settled();

      for (const lead of leads) {
        const rows = await rowsWithKey(`team-notice:effect-${lead.contactId}`);
        expect(rows.map((row) => [row.channel, row.status])).toEqual([
          ['email', 'delivered'],
          ['webhook', 'delivered'],
        ]);
        const subject = `New lead: ${lead.firstName} Lind in location loc-teams`;
        expect(
          inbox.mailTo(ROOFING).filter((mail) => mail.parsed.subject === subject),
        ).toHaveLength(1);
        const posts = receiver.postsTo('/crm/roofing').filter((p) => p.body.summary === subject);
        expect(posts).toHaveLength(1);
      }
    });

    it('reminds of an open task with its due time, and never of a completed one', async () => {
      const open = { locationId: 'loc-mail', contactId: 'c-n2', taskId: 't-n2' };
      const done = { locationId: 'loc-mail', contactId: 'c-n3', taskId: 't-n3' };
      await seedOpenTask(open, 'user-77');
      await completeTask(done, 'user-77');
      const reminder = (ids: TaskCompletedJob): ReminderDueJob => ({
        locationId: ids.locationId,
        contactId: ids.contactId,
        ruleId: 'task-reminder',
        subject: { kind: 'task', id: ids.taskId },
        dueAt: '2025-06-01T15:00:00.000Z',
        leadMinutes: 60,
        dedupeKey: `reminder-due:effect-${ids.taskId}`,
      });

      await notifications.add(JobName.ReminderDue, reminder(open));
      await notifications.add(JobName.ReminderDue, reminder(done));
      await settled();

      const subject =
        'Reminder: "Call about the inverter" for Ravi Menon is due 2025-06-01 15:00 UTC';
      const mails = inbox.mailTo(SALES).filter((mail) => mail.parsed.subject === subject);
      expect(mails).toHaveLength(1);
      expect(mails[0].parsed.text).toContain('Lead time: 60 minutes');
      expect(await rowsWithKey('reminder-due:effect-t-n2')).toHaveLength(1);
      expect(await rowsWithKey('reminder-due:effect-t-n3')).toEqual([]);
    });

    it("renders an operator's own notice word without code", async () => {
      const ids = { locationId: 'loc-mail', contactId: 'c-n4', taskId: 't-n4' };
      await completeTask(ids, null);

      await notifications.add(JobName.TeamNotice, {
        locationId: ids.locationId,
        contactId: ids.contactId,
        ruleId: 'solar-permit-check',
        notice: 'permit-check',
        subject: { kind: 'task', id: ids.taskId },
        dedupeKey: 'team-notice:effect-n4',
      } satisfies TeamNoticeJob);
      await settled();

      const subject = 'Notice (permit-check) about Dana Reyes';
      expect(inbox.mailTo(SALES).filter((mail) => mail.parsed.subject === subject)).toHaveLength(1);
    });
  });
});
