import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  contentType: string | undefined;
  body: { text: string; blocks?: unknown[] };
  /** The body as it came, for what a test must not find in it. */
  raw: string;
}

/** An answer: a status (with `ok` or `no` as text), or a status and a JSON body. */
export type Answer = number | { status: number; json: unknown };

/** Answers each POST to a path with what it returns; called once per request. */
export type Responder = (attempt: number) => Answer;

/**
 * A Slack-compatible incoming-webhook endpoint on loopback, for a real notification service to
 * deliver to: records every POST and answers with what its path's responder chooses (200 `ok`
 * for a path without one).
 */
export class WebhookEndpoint {
  readonly received: ReceivedPost[] = [];
  private readonly responders = new Map<string, Responder>();
  private readonly server: Server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const path = request.url ?? '/';
      const attempt = this.postsTo(path).length + 1;
      this.received.push({
        path,
        contentType: request.headers['content-type'],
        body: JSON.parse(raw),
        raw,
      });
      const answer = this.responders.get(path)?.(attempt) ?? 200;
      if (typeof answer === 'number') {
        response
          .writeHead(answer, { 'content-type': 'text/plain' })
          .end(answer < 300 ? 'ok' : 'no');

        return;
      }
      response
        .writeHead(answer.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer.json));
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));

    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  respond(path: string, responder: Responder): void {
    this.responders.set(path, responder);
  }

  postsTo(path: string): ReceivedPost[] {
    return this.received.filter((post) => post.path === path);
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
