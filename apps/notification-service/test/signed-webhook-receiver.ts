import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How far a signature's timestamp may be from the receiver's clock. */
const TOLERANCE_SECONDS = 300;

export interface SignedPost {
  path: string;
  notificationId: string | undefined;
  body: Record<string, unknown> & { refs: Record<string, string | null>; summary: string };
}

/**
 * Checks a signed notification the way the README tells an internal service to: HMAC-SHA256 of
 * `<timestamp>.<raw body>` with the shared secret, compared in constant time, and a timestamp
 * within five minutes. Written from the README, not from the sender's code.
 */
export function verifySignature(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  nowSeconds = Math.floor(Date.now() / 1_000),
): boolean {
  const timestamp = headers['x-solarmarket-timestamp'];
  const signature = headers['x-solarmarket-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) {
    return false;
  }
  const expected = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]))
    .digest();
  const given = Buffer.from(signature.replace(/^v1=/, ''), 'hex');

  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Answers each POST to a path with the status it returns; called once per verified request. */
export type Responder = (attempt: number) => number;

/**
 * An internal service on loopback that accepts only correctly signed posts: a post whose
 * signature fails is answered 401 and counted in `rejected`, never in `received`.
 */
export class SignedWebhookReceiver {
  readonly received: SignedPost[] = [];
  rejected = 0;
  private readonly responders = new Map<string, Responder>();
  private readonly attempts = new Map<string, number>();
  private readonly server: Server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const path = request.url ?? '/';
      if (!verifySignature(this.secret, request.headers, raw)) {
        this.rejected += 1;
        response.writeHead(401).end();

        return;
      }
      const attempt = (this.attempts.get(path) ?? 0) + 1;
      this.attempts.set(path, attempt);
      const status = this.responders.get(path)?.(attempt) ?? 200;
      if (status < 300) {
        this.received.push({
          path,
          notificationId: request.headers['x-solarmarket-notification-id'] as string | undefined,
          body: JSON.parse(raw.toString('utf8')),
        });
      }
      response.writeHead(status).end();
    });
  });

  constructor(private readonly secret: string) {}

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

  attemptsAt(path: string): number {
    return this.attempts.get(path) ?? 0;
  }

  postsTo(path: string): SignedPost[] {
    return this.received.filter((post) => post.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
