import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';

import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';

import { DeliveryStatus, WebhookDelivery } from '@sm/entities';
import { JobName, ProcessWebhookJob } from '@sm/queues';
import { freePort, startServiceProcess, ServiceProcess } from '@sm/testing';

export { SANDBOX_CLIENT, sandboxAccessToken } from '@sm/testing';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** The GHL sandbox as a real child process, seeded with one location. */
export async function startSandbox(
  locations: Record<string, number>,
): Promise<{ url: string; process: ServiceProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await startServiceProcess({
    entry: 'apps/ghl-sandbox/src/main.ts',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      SANDBOX_LOCATIONS: Object.entries(locations)
        .map(([locationId, contacts]) => `${locationId}:${contacts}`)
        .join(','),
      SANDBOX_RATE_LIMITS: 'false',
      LOG_LEVEL: 'warn',
    },
    readyUrl: `${url}/health/live`,
  });

  return { url, process };
}

/**
 * The auth service's internal token endpoint, as the architecture defines it, handing out a
 * token obtained from the sandbox. `reauthRequired` makes it answer 409 for a location.
 */
export async function startTokenEndpoint(options: {
  serviceToken: string;
  token: (locationId: string) => Promise<string>;
  reauthRequired?: Set<string>;
  /** Locations that get a token GHL will refuse (401), even on a forced refresh. */
  refusedToken?: Set<string>;
}): Promise<Listening & { requests: (locationId: string) => number }> {
  const requests = new Map<string, number>();
  const server = createServer(async (request, response) => {
    const match = /^\/internal\/locations\/([^/]+)\/access-token$/.exec(request.url ?? '');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${options.serviceToken}`) return reply(401, {});
    if (!match || request.method !== 'POST') return reply(404, {});

    const locationId = decodeURIComponent(match[1]);
    requests.set(locationId, (requests.get(locationId) ?? 0) + 1);
    if (options.reauthRequired?.has(locationId)) return reply(409, { error: 'reauth_required' });
    const accessToken = options.refusedToken?.has(locationId)
      ? 'sbx_at_refused'
      : await options.token(locationId);
    const expiresAt = new Date(Date.now() + 86_399_000).toISOString();
    reply(200, { locationId, accessToken, expiresAt, scopes: ['contacts.readonly'] });
  });

  return { ...(await listen(server)), requests: (locationId) => requests.get(locationId) ?? 0 };
}

/**
 * A stand-in for the webhook ingress's hand-off (signature checks are the ingress's own tests):
 * records each delivery in the inbox and queues `webhook.process` with the inbox id as job id.
 */
export async function startInboxWriter(dataSource: DataSource, webhookQueue: Queue) {
  const server = createServer(async (request, response) => {
    const payload = JSON.parse(await readBody(request)) as Record<string, unknown>;
    const delivery = await dataSource.getRepository(WebhookDelivery).save({
      dedupeKey: (payload.webhookId as string | undefined) ?? randomUUID(),
      webhookId: (payload.webhookId as string | undefined) ?? null,
      eventType: String(payload.type),
      locationId: (payload.locationId as string | undefined) ?? null,
      payload,
      signatureScheme: 'ed25519',
      status: DeliveryStatus.Received,
    });
    const job: ProcessWebhookJob = {
      inboxId: delivery.id,
      locationId: delivery.locationId,
      eventType: delivery.eventType,
    };
    await webhookQueue.add(JobName.ProcessWebhook, job, { jobId: delivery.id });
    response.writeHead(200).end();
  });

  return listen(server);
}

async function listen(server: Server): Promise<Listening> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}
