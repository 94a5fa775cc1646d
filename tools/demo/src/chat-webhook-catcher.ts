import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface CaughtMessage {
  channel: string;
  body: unknown;
  receivedAt: Date;
}

/**
 * A Slack-compatible incoming-webhook endpoint on loopback: the team and admin channels of the
 * demo. `POST /<channel>` with a JSON body is recorded and answered 200.
 */
export class ChatWebhookCatcher {
  readonly messages: CaughtMessage[] = [];
  private server?: Server;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const channel = (req.url ?? '/').slice(1) || 'default';
        this.messages.push({ channel, body: safeJson(raw), receivedAt: new Date() });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    return `http://127.0.0.1:${port}`;
  }

  on(channel: string): CaughtMessage[] {
    return this.messages.filter((message) => message.channel === channel);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
