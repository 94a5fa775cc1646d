import { randomUUID } from 'node:crypto';

import {
  ServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  createTestDatabase,
  freePort,
  startServiceProcess,
  uniqueQueuePrefix,
} from '@sm/testing';

import { TestKeys, signatureHeader } from './support/signing-keys';

describe('webhook-ingress as a process (main.ts)', () => {
  const keys = new TestKeys();
  const ed25519 = keys.generate('ed25519');
  const rsa = keys.generate('rsa');
  let database: TestDatabase;
  let service: ServiceProcess;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    service = await startServiceProcess({
      entry: 'apps/webhook-ingress/src/main.ts',
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniqueQueuePrefix('ingress-proc'),
        LOG_LEVEL: 'debug',
        WEBHOOK_ED25519_PUBLIC_KEY_FILES: ed25519.publicKeyFile,
        WEBHOOK_RSA_PUBLIC_KEY_FILES: rsa.publicKeyFile,
      },
      readyUrl: `${baseUrl}/health/ready`,
    });
    // Boots a TypeScript process: a few seconds, more on a machine shared with other suites.
  }, 30_000);
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
    keys.remove();
  });

  it('logs deliveries by id and refusals by reason, never a body or a signature', async () => {
    const webhookId = randomUUID();
    const email = `private-${randomUUID()}@example.com`;
    const body = JSON.stringify({ type: 'ContactCreate', locationId: 'loc-log', email, webhookId });
    const genuine = signatureHeader(ed25519, body);
    const forged = { 'x-ghl-signature': Buffer.alloc(64, 7).toString('base64') };
    const post = (headers: Record<string, string>) =>
      fetch(`${baseUrl}/webhooks/ghl`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });

    const refused = await post(forged);
    const accepted = await post(genuine);

    expect(refused.status).toBe(401);
    expect(accepted.status).toBe(200);
    await expect(accepted.json()).resolves.toMatchObject({ status: 'accepted' });
    const logs = await waitForLog(service, webhookId);
    expect(logs).toContain(`"webhookId":"${webhookId}"`);
    expect(logs).toContain('"reason":"signature_invalid"');
    expect(logs).toContain('"locationId":"loc-log"');
    expect(logs).not.toContain(email);
    expect(logs).not.toContain(genuine['x-ghl-signature']);
    expect(logs).not.toContain(forged['x-ghl-signature']);
  });
});

async function waitForLog(service: ServiceProcess, text: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  while (!service.output().includes(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return service.output();
}
