import { routeWebhook } from './webhook-routes';

describe('routeWebhook', () => {
  const contactId = 'x'.repeat(64);

  it('routes the ids where each event type carries them', () => {
    expect(routeWebhook('ContactDelete', { id: contactId })).toEqual({
      kind: 'tombstone-contact',
      contactId,
    });
    expect(routeWebhook('TaskDelete', { id: 'task-1', contactId })).toEqual({
      kind: 'tombstone-child',
      child: 'tasks',
      contactId,
      id: 'task-1',
    });
    expect(routeWebhook('AppointmentUpdate', { appointment: { id: 'a-1', contactId } })).toEqual({
      kind: 'sync-contact',
      contactId,
    });
  });

  // A retry cannot store what the record tables' keys refuse: it is recorded and left alone.
  it('ignores an id no GHL record has (empty, not a string, over 64 characters)', () => {
    const tooLong = 'x'.repeat(65);

    const actions = [
      routeWebhook('ContactDelete', { id: tooLong }),
      routeWebhook('ContactUpdate', { id: 42 }),
      routeWebhook('NoteCreate', { id: 'note-1', contactId: tooLong }),
      routeWebhook('AppointmentDelete', { appointment: { id: 'a-1', contactId: '' } }),
    ];

    expect(actions.map((action) => action.kind)).toEqual(['ignore', 'ignore', 'ignore', 'ignore']);
  });

  it('syncs the contact of a child delete whose own id is unusable', () => {
    expect(routeWebhook('TaskDelete', { id: 'y'.repeat(65), contactId })).toEqual({
      kind: 'sync-contact',
      contactId,
    });
  });
});
