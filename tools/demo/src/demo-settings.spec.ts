import { demoSettings } from './demo-settings';

describe('the demo’s settings', () => {
  it('are the README’s by default', () => {
    expect(demoSettings({})).toEqual({ contacts: 300, sandboxBurstLimit: 1000 });
  });

  it('refuse a count that is not one, naming the variable the user set', () => {
    expect(() => demoSettings({ DEMO_CONTACTS: 'abc' })).toThrow(/DEMO_CONTACTS: /);
    expect(() => demoSettings({ DEMO_CONTACTS: '0' })).toThrow(/DEMO_CONTACTS: /);
    expect(() => demoSettings({ DEMO_CONTACTS: '2000000' })).toThrow(/DEMO_CONTACTS: /);
    expect(() => demoSettings({ DEMO_BURST_LIMIT: '0' })).toThrow(/DEMO_BURST_LIMIT: /);
  });
});
