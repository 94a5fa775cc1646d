import {
  freePort,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  WebhookEndpoint,
} from '@sm/testing';

/** One message a notification service posted: its Slack-compatible `{ text, blocks }` body. */
export interface PostedAlert {
  text: string;
  raw: string;
}

/** The webhook's path, standing for the secret part of a real one. */
const ADMIN_CHANNEL_PATH = '/services/T0/B0/admin-channel-secret';

/** The admin channel: a Slack-compatible incoming webhook on loopback that answers `200 ok`. */
export class AdminChannel {
  private readonly endpoint = new WebhookEndpoint();

  async start(): Promise<this> {
    await this.endpoint.start();

    return this;
  }

  get url(): string {
    return this.endpoint.url(ADMIN_CHANNEL_PATH);
  }

  get received(): PostedAlert[] {
    return this.endpoint.received.map(({ body, raw }) => ({ text: body.text, raw }));
  }

  stop(): Promise<void> {
    return this.endpoint.stop();
  }
}

/** A real notification-service process on the database and queue prefix, posting to the URL. */
export async function startNotificationService(
  databaseUrl: string,
  queuePrefix: string,
  adminWebhookUrl: string,
): Promise<ServiceProcess> {
  const port = await freePort();

  return startServiceProcess({
    entry: 'apps/notification-service/src/main.ts',
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'warn',
      NOTIFY_ADMIN_SLACK_WEBHOOK_URL: adminWebhookUrl,
      NOTIFY_BACKOFF_MS: '50',
    },
  });
}
