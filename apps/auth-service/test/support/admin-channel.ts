import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { freePort, ServiceProcess, startServiceProcess, TEST_REDIS_URL } from '@sm/testing';

/** One message a notification service posted: its Slack-compatible `{ text, blocks }` body. */
export interface PostedAlert {
  text: string;
  raw: string;
}

/**
 * The admin channel as a Slack-compatible incoming webhook on loopback, for a real
 * notification-service process to deliver to: records every message and answers `200 ok`.
 */
export class AdminChannel {
  readonly received: PostedAlert[] = [];
  private readonly server: Server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      this.received.push({ text: (JSON.parse(raw) as { text: string }).text, raw });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));

    return this;
  }

  /** The webhook URL; its path stands for the secret part of a real one. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;

    return `http://127.0.0.1:${port}/services/T0/B0/admin-channel-secret`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => resolve(raw));
    request.on('error', reject);
  });
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
