import { createSyncCompletedConsumer, SyncCompletedEvent } from '@sm/sync-events';
import { TEST_REDIS_URL } from '@sm/testing';

/** A registered consumer of `sync-completed` that keeps every event it gets. */
export interface SyncCompletedRecorder {
  consumer: string;
  /** In the order they came, redeliveries included. */
  events: SyncCompletedEvent[];
  /** By event id: what a redelivery does not add to. */
  byId: Map<string, SyncCompletedEvent>;
  close(): Promise<void>;
}

export function recordSyncCompleted(
  consumer: string,
  options: {
    prefix: string;
    redisUrl?: string;
    /** Goes on filling this map: what a consumer started again after a crash adds to. */
    byId?: Map<string, SyncCompletedEvent>;
  },
): SyncCompletedRecorder {
  const events: SyncCompletedEvent[] = [];
  const byId = options.byId ?? new Map<string, SyncCompletedEvent>();
  const subscription = createSyncCompletedConsumer({
    consumer,
    redisUrl: options.redisUrl ?? TEST_REDIS_URL,
    prefix: options.prefix,
    handle: async (event) => {
      events.push(event);
      byId.set(event.eventId, event);
    },
  });

  return { consumer, events, byId, close: () => subscription.close() };
}
