import { buildSyncCompletedEvent } from './sync-completed.event';
import { explainInvalidEvent, isSyncCompletedEventV1 } from './sync-completed.schema';

describe('sync-completed v1', () => {
  it('builds events that match the published JSON schema', () => {
    const event = buildSyncCompletedEvent({
      locationId: 'loc-1',
      scope: 'contact',
      contactId: 'c-1',
      trigger: 'webhook',
      syncRunId: '7d4f1c2e-1f7e-4c55-9d8e-0a3c4a8f5b21',
      counts: { contacts: 1, tasks: 2 },
    });

    expect(isSyncCompletedEventV1(event)).toBe(true);
    expect(event.counts).toEqual({
      contacts: 1,
      tasks: 2,
      notes: 0,
      appointments: 0,
      tombstoned: 0,
    });
    expect(event.contactDeleted).toBe(false);
  });

  it('gives every event its own id', () => {
    const input = { locationId: 'loc-1', scope: 'location' as const, trigger: 'nightly' as const };

    expect(buildSyncCompletedEvent(input).eventId).not.toBe(buildSyncCompletedEvent(input).eventId);
  });

  it('refuses a contact event without its contact', () => {
    expect(() =>
      buildSyncCompletedEvent({ locationId: 'loc-1', scope: 'contact', trigger: 'manual' }),
    ).toThrow(/contactId/);
  });

  it('names what is wrong with an invalid event', () => {
    const event = {
      ...buildSyncCompletedEvent({ locationId: 'l', scope: 'location', trigger: 'manual' }),
    };
    const broken = { ...event, version: 2, counts: { ...event.counts, tasks: -1 } };

    expect(isSyncCompletedEventV1(broken)).toBe(false);
    expect(explainInvalidEvent(broken).join(' ')).toMatch(/version|counts\/tasks/);
  });
});
