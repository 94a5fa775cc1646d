import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { ConnectionOptions, Queue } from 'bullmq';

import { QueueName, redisOptionsFromUrl } from '@sm/queues';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import type { WebhookIngressConfig } from '../src/config/webhook-ingress.config';
import type { PendingDelivery } from '../src/webhooks/inbox/webhook-inbox.repository';
import { WebhookDispatcher } from '../src/webhooks/queueing/webhook-dispatcher.service';

function delivery(eventType = 'ContactUpdate'): PendingDelivery {
  return { inboxId: randomUUID(), eventType, locationId: 'loc-dispatch', companyId: null };
}

describe('the dispatcher, against Redis', () => {
  const prefix = uniqueQueuePrefix('ingress-dispatch');
  const config = { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix } as WebhookIngressConfig;
  const events = new Queue(QueueName.WebhookEvents, {
    connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
    prefix,
  });
  let dispatcher: WebhookDispatcher;

  beforeEach(async () => {
    dispatcher = new WebhookDispatcher(config);
    await events.waitUntilReady();
    while (!dispatcher.isConnected) await new Promise((resolve) => setTimeout(resolve, 10));
  });
  afterEach(() => dispatcher.onApplicationShutdown());
  afterAll(async () => {
    await events.obliterate({ force: true });
    await events.close();
  });

  it('queues deliveries dispatched over several turns of one window, each told it is', async () => {
    const deliveries = [delivery(), delivery(), delivery()];

    const outcomes: Promise<boolean>[] = [];
    for (const next of deliveries) {
      outcomes.push(dispatcher.dispatch(next));
      await nextTurn();
    }

    expect(await Promise.all(outcomes)).toEqual([true, true, true]);
    const jobs = await Promise.all(deliveries.map(({ inboxId }) => events.getJob(inboxId)));
    expect(jobs.map((job) => job?.data.inboxId)).toEqual(deliveries.map(({ inboxId }) => inboxId));
  });

  it('queues more deliveries than one batch holds, every one of them', async () => {
    const deliveries = Array.from({ length: 450 }, () => delivery());

    const outcomes = await Promise.all(deliveries.map((next) => dispatcher.dispatch(next)));

    expect(outcomes).toEqual(Array(450).fill(true));
    const jobs = await Promise.all(deliveries.map(({ inboxId }) => events.getJob(inboxId)));
    expect(jobs.filter((job) => job !== undefined)).toHaveLength(450);
  });

  it('still queues what was dispatched when the app shuts down inside the window', async () => {
    const pending = delivery();

    const outcome = dispatcher.dispatch(pending);
    await dispatcher.onApplicationShutdown();

    expect(await outcome).toBe(true);
    expect((await events.getJob(pending.inboxId))?.data.inboxId).toBe(pending.inboxId);
  });

  it('leaves an event type it does not route unqueued', async () => {
    const unknown = delivery('SomethingNew');

    const outcome = await dispatcher.dispatch(unknown);

    expect(outcome).toBe(false);
    expect(await events.getJob(unknown.inboxId)).toBeUndefined();
  });
});
