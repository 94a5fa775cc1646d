import type { Job } from 'bullmq';

import { JobName } from '@sm/queues';
import { eventually } from '@sm/testing';

import { reminderJobId } from '../../src/automation/reminders/reminder-scheduler.service';
import {
  AutomationHarness,
  connect,
  contactEvent,
  deliver,
  enableRule,
  saveAppointment,
  saveContact,
  saveTask,
  startAutomationHarness,
} from './automation-harness';

const LOCATION = 'AutoE2eReminders001';
const MINUTE_MS = 60_000;

describe('reminders', () => {
  let harness: AutomationHarness;

  const timer = (ruleId: string, kind: 'task' | 'appointment', id: string, lead: number) =>
    harness.queues.automation.getJob(
      reminderJobId({ locationId: LOCATION, ruleId, subject: { kind, id } }, lead),
    ) as Promise<Job | undefined>;
  const fireAt = (job: Job) => job.timestamp + (job.opts.delay ?? 0);
  const remindersFor = async (id: string) =>
    (await harness.queues.notifications.getJobs(['waiting', 'completed', 'failed'])).filter(
      (job) => job.name === JobName.ReminderDue && job.data.subject.id === id,
    );

  beforeAll(async () => {
    harness = await startAutomationHarness();
    await connect(harness, LOCATION, ['contacts.readonly']);
    await saveContact(harness, { locationId: LOCATION, id: 'rem-contact' });
    expect((await enableRule(harness, LOCATION, 'task-due-reminder')).status).toBe(200);
    expect((await enableRule(harness, LOCATION, 'appointment-reminder')).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  const sync = () => deliver(harness, [contactEvent(LOCATION, 'rem-contact')]);

  it('sets a task reminder, moves it with the due date, cancels it when done', async () => {
    const due = new Date(Date.now() + 3 * 60 * MINUTE_MS);
    const task = await saveTask(harness, {
      locationId: LOCATION,
      id: 'rem-task-1',
      contactId: 'rem-contact',
      dueDate: due,
    });
    await sync();
    await sync();
    const set = await timer('task-due-reminder', 'task', task.id, 60);
    expect(set).toBeDefined();
    expect(Math.abs(fireAt(set as Job) - (due.getTime() - 60 * MINUTE_MS))).toBeLessThan(2_000);

    const later = new Date(due.getTime() + 24 * 60 * MINUTE_MS);
    await saveTask(harness, { ...task, dueDate: later });
    await sync();
    const moved = await timer('task-due-reminder', 'task', task.id, 60);
    expect(moved?.data.dueAt).toBe(later.toISOString());
    expect(Math.abs(fireAt(moved as Job) - (later.getTime() - 60 * MINUTE_MS))).toBeLessThan(2_000);
    const timers = (await harness.queues.automation.getDelayed()).filter(
      (job) => job.name === JobName.FireReminder && job.data.subject.id === task.id,
    );
    expect(timers).toHaveLength(1);

    await saveTask(harness, { ...task, dueDate: later, completed: true, completedAt: new Date() });
    await sync();
    expect(await timer('task-due-reminder', 'task', task.id, 60)).toBeUndefined();
  });

  it('cancels an appointment reminder when the appointment is cancelled', async () => {
    const start = new Date(Date.now() + 2 * 24 * 60 * MINUTE_MS);
    const appointment = await saveAppointment(harness, {
      locationId: LOCATION,
      id: 'rem-appt-1',
      contactId: 'rem-contact',
      status: 'confirmed',
      startTime: start,
    });
    await sync();
    expect(await timer('appointment-reminder', 'appointment', appointment.id, 1440)).toBeDefined();
    expect(await timer('appointment-reminder', 'appointment', appointment.id, 60)).toBeDefined();

    await saveAppointment(harness, { ...appointment, status: 'cancelled' });
    await sync();

    expect(
      await timer('appointment-reminder', 'appointment', appointment.id, 1440),
    ).toBeUndefined();
    expect(await timer('appointment-reminder', 'appointment', appointment.id, 60)).toBeUndefined();
  });

  it('fires a due reminder once, and never for a task completed before it fired', async () => {
    const soon = () => new Date(Date.now() + 60 * MINUTE_MS + 1_500);
    const open = await saveTask(harness, {
      locationId: LOCATION,
      id: 'rem-task-open',
      contactId: 'rem-contact',
      dueDate: soon(),
    });
    const done = await saveTask(harness, {
      locationId: LOCATION,
      id: 'rem-task-done',
      contactId: 'rem-contact',
      dueDate: soon(),
    });
    await sync();
    // Completed in GHL, but its sync has not run yet when the timer goes off.
    await saveTask(harness, { ...done, completed: true, completedAt: new Date() });

    const sent = await eventually(async () => {
      const jobs = await remindersFor(open.id);
      return jobs.length > 0 ? jobs : undefined;
    });
    await eventually(async () => {
      const fired = await timer('task-due-reminder', 'task', done.id, 60);
      return fired && (await fired.isCompleted()) ? true : undefined;
    });
    await sync();

    expect(sent).toHaveLength(1);
    expect(sent[0].data).toMatchObject({ leadMinutes: 60, dueAt: open.dueDate?.toISOString() });
    expect(await remindersFor(open.id)).toHaveLength(1);
    expect(await remindersFor(done.id)).toHaveLength(0);
  });
});
