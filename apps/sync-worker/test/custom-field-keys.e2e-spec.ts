import { DataSource } from 'typeorm';

import { GhlApiError } from '@sm/ghl-client';
import type { LocationApi } from '@sm/ghl-client';

import { CustomFieldKeys } from '../src/custom-fields/custom-field-keys.service';
import { useScratchDatabase } from './support/scratch-database';

/**
 * GHL's custom-field definitions for one location, as `CustomFieldKeys` reads them, counting the
 * calls: what is measured here is how often GHL is asked, which the sandbox does not count per
 * endpoint. The definitions are stored in a real database.
 */
function definitionsFromGhl(locationId: string, answer: () => Promise<unknown>) {
  const api = {
    locationId,
    calls: 0,
    listCustomFields: async () => {
      api.calls += 1;

      return answer();
    },
  };

  return api as typeof api & LocationApi;
}

describe('custom field keys: how often GHL is asked for the definitions', () => {
  const scratch = useScratchDatabase();
  let dataSource: DataSource;

  beforeAll(() => {
    dataSource = scratch.dataSource;
  });

  it('once per id never looked for, not again a minute for ids GHL does not list', async () => {
    const keys = new CustomFieldKeys(dataSource);
    const ghl = definitionsFromGhl('SMfieldKeysLocation1', async () => ({
      customFields: [{ id: 'roof', fieldKey: 'contact.roof_type' }],
    }));
    await keys.forFieldIds(ghl, ['roof']);

    // Two fields deleted in GHL, still on contacts, on alternate batches.
    for (const batch of [['gone1'], ['gone2'], ['gone1'], ['gone2'], ['gone1'], ['gone2']]) {
      await keys.forFieldIds(ghl, batch);
    }

    expect(ghl.calls).toBe(3);
  });

  it('once a minute for a location that may not read them, whatever ids come', async () => {
    const keys = new CustomFieldKeys(dataSource);
    const ghl = definitionsFromGhl('SMfieldKeysLocation2', async () => {
      throw new GhlApiError('auth', 403, 'scope missing', undefined, 'listCustomFields');
    });

    for (const batch of [['f1', 'f2'], ['f3'], ['f1'], ['f4'], ['f5']]) {
      await keys.forFieldIds(ghl, batch);
    }

    expect(ghl.calls).toBe(1);
  });

  it('once for batches of one location that need a reload at the same time', async () => {
    const keys = new CustomFieldKeys(dataSource);
    const ghl = definitionsFromGhl('SMfieldKeysLocation3', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));

      return { customFields: [{ id: 'battery', fieldKey: 'contact.battery_size' }] };
    });

    const found = await Promise.all(
      Array.from({ length: 8 }, () => keys.forFieldIds(ghl, ['battery'])),
    );

    expect(ghl.calls).toBe(1);
    expect(found.map((byId) => byId.get('battery'))).toEqual(Array(8).fill('contact.battery_size'));
  });
});
