import { generateLocation } from '../src/dataset/dataset.generator';
import { control, LOCATION_ID, Sandbox, startSandbox } from './sandbox-harness';

describe('seeded dataset', () => {
  const exportOf = async (sandbox: Sandbox) =>
    (await control(sandbox.baseUrl, 'GET', `/_sandbox/export/${LOCATION_ID}`)).body;

  it('is the same for the same seed and different for another', async () => {
    const env = { SANDBOX_LOCATIONS: `${LOCATION_ID}:120`, SANDBOX_SEED: '7' };
    const first = await startSandbox(env);
    const second = await startSandbox(env);
    const other = await startSandbox({ ...env, SANDBOX_SEED: '8' });

    const [a, b, c] = await Promise.all([first, second, other].map(exportOf));
    await Promise.all([first, second, other].map((sandbox) => sandbox.close()));

    expect(a.contacts).toHaveLength(120);
    expect(b).toEqual(a);
    expect(c.contacts[0].id).not.toBe(a.contacts[0].id);
  });

  it('comes back unchanged after changes and a reset', async () => {
    const sandbox = await startSandbox({ SANDBOX_LOCATIONS: `${LOCATION_ID}:40` });
    const before = await exportOf(sandbox);

    await control(sandbox.baseUrl, 'POST', `/_sandbox/locations/${LOCATION_ID}/changes`, {
      kind: 'contact.delete',
    });
    await control(sandbox.baseUrl, 'POST', '/_sandbox/reset');
    const after = await exportOf(sandbox);
    await sandbox.close();

    expect(after).toEqual(before);
  });

  it('looks like a solar-sales location', async () => {
    const sandbox = await startSandbox({ SANDBOX_LOCATIONS: `${LOCATION_ID}:300` });
    const data = await exportOf(sandbox);
    await sandbox.close();

    const tags = new Set(data.contacts.flatMap((contact: { tags: string[] }) => contact.tags));
    const fieldIds = new Set(data.customFields.map((field: { id: string }) => field.id));
    const usedIds = data.contacts.flatMap((contact: { customFields: Array<{ id: string }> }) =>
      contact.customFields.map((field) => field.id),
    );
    expect(data.location.timezone).toBe('America/Denver');
    for (const tag of ['solar-lead', 'roof-inspection', 'financing', 'hot-lead']) {
      expect(tags.has(tag)).toBe(true);
    }
    expect(usedIds.every((id: string) => fieldIds.has(id))).toBe(true);
    expect(data.contacts[0].phone).toMatch(/^\+1\d{10}$/);
    expect(data.tasks.length).toBeGreaterThan(300);
    expect(data.notes.length).toBeGreaterThan(200);
    expect(data.appointments.length).toBeGreaterThan(150);
  });

  it('generates 100,000 contacts in a few seconds', () => {
    const started = Date.now();

    const dataset = generateLocation(42, { locationId: LOCATION_ID, contacts: 100_000 }, 'C', 0);

    expect(dataset.contacts.size).toBe(100_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(8_000);
  });
});
