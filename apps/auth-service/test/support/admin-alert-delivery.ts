import { Queue } from 'bullmq';

import { QueueName } from '@sm/queues';
import { eventually, ServiceProcess } from '@sm/testing';

import { AdminChannel, PostedAlert, startNotificationService } from './admin-channel';
import { AuthStack } from './auth-stack';

/**
 * The admin alerts of an auth stack, delivered for real: a notification-service process on the
 * stack's database and queue prefix, posting to an admin channel on loopback.
 */
export class AdminAlertDelivery {
  private constructor(
    private readonly stack: AuthStack,
    private readonly channel: AdminChannel,
    private readonly notificationService: ServiceProcess,
    private readonly notifications: Queue,
  ) {}

  static async start(stack: AuthStack): Promise<AdminAlertDelivery> {
    const channel = await new AdminChannel().start();
    const { database, queuePrefix } = stack;
    const notificationService = await startNotificationService(
      database.url,
      queuePrefix,
      channel.url,
    );

    return new AdminAlertDelivery(
      stack,
      channel,
      notificationService,
      stack.queue(QueueName.Notifications),
    );
  }

  /** Every message the admin channel received, in order. */
  get received(): PostedAlert[] {
    return this.channel.received;
  }

  /** The messages the admin channel received about a location. */
  about(locationId: string): PostedAlert[] {
    return this.received.filter((alert) => alert.text.includes(locationId));
  }

  /** Nothing is left to deliver: every alert queued by now has reached the channel. */
  async settled(): Promise<void> {
    // An alert is queued after the refusal is answered: give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await eventually(() => this.isIdle(), 20_000, 'the alerts to be delivered');
  }

  /** Stops the notification service and the channel; the stack's own `stop()` empties the queue. */
  async stop(): Promise<void> {
    await this.notificationService.stop();
    await this.channel.stop();
  }

  private async isIdle(): Promise<true | undefined> {
    const queued = await this.notifications.getJobCounts('waiting', 'active', 'delayed');
    const [{ pending }]: Array<{ pending: number }> = await this.stack.db.query(
      `SELECT count(*)::int AS pending FROM notifications WHERE status = 'pending'`,
    );
    const isIdle = Object.values(queued).every((count) => count === 0) && pending === 0;

    return isIdle ? true : undefined;
  }
}
