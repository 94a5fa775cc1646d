import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { freePort, ServiceProcess, startServiceProcess } from '@sm/testing';

import { CrashHarness } from './crash-harness';

const CONTACTS = 300;
const DELIVERIES = 2_000;
const KINDS = [
  'contact.update',
  'contact.update',
  'contact.tag',
  'task.create',
  'task.complete',
  'task.delete',
  'note.create',
  'note.delete',
  'appointment.update',
  'contact.delete',
];

/** Deterministic shuffle, so that a failure repeats. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let index = out.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = state % (index + 1);
    [out[index], out[other]] = [out[other], out[index]];
  }

  return out;
}

describe('crash: a storm of 2,000 webhooks, duplicated and out of order', () => {
  const harness = new CrashHarness({ locationId: 'SMcrashStorm00000001', contacts: CONTACTS });
  const keyDir = mkdtempSync(path.join(tmpdir(), 'storm-keys-'));
  const captured: string[] = [];
  let collector: Server;
  let ingress: ServiceProcess;
  let ingressUrl = '';
  let privateKey: KeyObject;

  beforeAll(async () => {
    await harness.start();
    await harness.startWorker();
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    const publicKeyFile = path.join(keyDir, 'ed25519.pem');
    writeFileSync(publicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const port = await freePort();
    ingressUrl = `http://127.0.0.1:${port}`;
    ingress = await startServiceProcess({
      entry: 'apps/webhook-ingress/src/main.ts',
      env: {
        DATABASE_URL: harness.database.url,
        REDIS_URL: harness.redisUrl,
        QUEUE_PREFIX: harness.prefix,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        WEBHOOK_ED25519_PUBLIC_KEY_FILES: publicKeyFile,
        WEBHOOK_RSA_PUBLIC_KEY_FILES: '',
      },
      readyUrl: `${ingressUrl}/health/live`,
      timeoutMs: 60_000,
    });
    // The sandbox's own deliveries are only captured: the test re-sends them, as a storm.
    collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        captured.push(body);
        response.writeHead(200).end();
      });
    });
    const collectorPort = await freePort();
    await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));
    await harness.sandbox.webhookTarget(`http://127.0.0.1:${collectorPort}/webhooks`);
  }, 120_000);

  afterAll(async () => {
    await ingress?.stop();
    await new Promise((resolve) => collector?.close(resolve));
    await harness.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }, 30_000);

  it('ends with Postgres equal to GHL and every event delivered, nothing done twice', async () => {
    await harness.startFullSync();
    await harness.waitForSucceededRun(60_000);
    for (let change = 0; captured.length < DELIVERIES / 4; change++) {
      await harness.sandbox.change(harness.setup.locationId, {
        kind: KINDS[change % KINDS.length],
      });
    }
    const storm = shuffled(
      Array.from({ length: DELIVERIES }, (_, index) => captured[index % captured.length]),
    );

    const statuses = await sendAll(storm, 24, (body) =>
      fetch(`${ingressUrl}/webhooks/ghl`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': sign(null, Buffer.from(body), privateKey).toString('base64'),
        },
        body,
      }).then((answer) => answer.status),
    );

    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const [{ rows }] = await harness.dataSource.query(
      'SELECT count(*)::int AS rows FROM webhook_inbox',
    );
    expect(rows).toBe(captured.length);
    await harness.eventuallyEqualSandbox(60_000);
    await harness.expectEveryConsumerHasEveryEvent(30_000);
  }, 180_000);
});

async function sendAll<T>(items: string[], lanes: number, send: (item: string) => Promise<T>) {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) results.push(await send(items[next++]));
    }),
  );

  return results;
}
