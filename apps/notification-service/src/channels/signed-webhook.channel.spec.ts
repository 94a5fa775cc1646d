import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import { verifySignature } from '../../test/signed-webhook-receiver';

import {
  NOTIFICATION_ID_HEADER,
  SIGNATURE_HEADER,
  SignedWebhookChannel,
  signWebhookBody,
  TIMESTAMP_HEADER,
} from './signed-webhook.channel';

const SECRET = 'a-test-signing-secret-of-32-chars!!';
const SENT_AT = new Date('2025-06-01T12:00:00Z');
const SENT_AT_SECONDS = SENT_AT.getTime() / 1_000;

describe('SignedWebhookChannel', () => {
  it('signs the exact bytes it sends, under a timestamp a receiver can check', async () => {
    const seen: Array<{ headers: IncomingHttpHeaders; raw: Buffer }> = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({ headers: request.headers, raw: Buffer.concat(chunks) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const channel = new SignedWebhookChannel(
      { signingSecret: SECRET, requestTimeoutMs: 5_000 },
      () => SENT_AT,
    );

    await channel.send(
      {
        id: 'n-1',
        kind: 'task-completed',
        audience: 'team',
        locationId: 'loc-1',
        message: { summary: 'Task completed: "Büro" ✓', fields: [], refs: { taskId: 't-1' } },
      },
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    );
    server.close();

    const [{ headers, raw }] = seen;
    expect(headers[TIMESTAMP_HEADER]).toBe(String(SENT_AT_SECONDS));
    expect(headers[NOTIFICATION_ID_HEADER]).toBe('n-1');
    expect(headers[SIGNATURE_HEADER]).toBe(
      signWebhookBody(SECRET, String(SENT_AT_SECONDS), raw.toString('utf8')),
    );
    expect(verifySignature(SECRET, headers, raw, SENT_AT_SECONDS)).toBe(true);
    expect(JSON.parse(raw.toString('utf8'))).toMatchObject({ version: 1, notificationId: 'n-1' });
  });
});

describe('verifying a signature as a receiver', () => {
  const body = Buffer.from('{"notificationId":"n-1"}');
  const timestamp = String(SENT_AT_SECONDS);
  const headers = {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signWebhookBody(SECRET, timestamp, body.toString()),
  };

  it('fails for a changed body, another secret or a timestamp outside five minutes', () => {
    const changed = Buffer.from('{"notificationId":"n-2"}');

    expect(verifySignature(SECRET, headers, changed, SENT_AT_SECONDS)).toBe(false);
    expect(verifySignature(`${SECRET}x`, headers, body, SENT_AT_SECONDS)).toBe(false);
    expect(verifySignature(SECRET, headers, body, SENT_AT_SECONDS + 301)).toBe(false);
    expect(verifySignature(SECRET, headers, body, SENT_AT_SECONDS + 299)).toBe(true);
  });
});
