import { assertScope, CONTACTS_WRITE_SCOPE, hasScope, MissingScopeError } from './ghl-scopes';

describe('assertScope', () => {
  it('passes when the connection was granted the scope', () => {
    const scopes = ['contacts.readonly', 'contacts.write'];

    expect(() => assertScope(scopes, CONTACTS_WRITE_SCOPE, 'createContactTask')).not.toThrow();
  });

  it('throws a MissingScopeError naming the scope, the operation and the location', () => {
    const attempt = () =>
      assertScope(['contacts.readonly'], CONTACTS_WRITE_SCOPE, 'completeContactTask', 'Loc1');

    expect(attempt).toThrow(MissingScopeError);
    expect(attempt).toThrow(
      'completeContactTask needs the GHL scope contacts.write, which the connection of location ' +
        'Loc1 was not granted',
    );
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({
        scope: 'contacts.write',
        operation: 'completeContactTask',
        locationId: 'Loc1',
      });
    }
  });

  it('treats an absent scope list as no scope, and never matches on a prefix', () => {
    expect(hasScope(undefined, CONTACTS_WRITE_SCOPE)).toBe(false);
    expect(hasScope(['contacts.writeonly', 'contacts'], CONTACTS_WRITE_SCOPE)).toBe(false);
    expect(() => assertScope(undefined, CONTACTS_WRITE_SCOPE, 'addContactTags')).toThrow(
      MissingScopeError,
    );
  });
});
