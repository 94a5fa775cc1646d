import { Contact } from '@sm/entities';
import type { GhlApi, GhlListedContact, LocationApi } from '@sm/ghl-client';
import { JobName } from '@sm/queues';

import { createGhlApi, GhlApiHandle } from '../src/ghl/ghl-api.factory';
import { RecordWriter } from '../src/records/record-writer.service';
import { AuthServiceTokenProvider } from '../src/tokens/auth-service-token.provider';
import { expectRecordsEqualSandbox } from './support/ghl-records';
import { useLocationRunStack } from './support/location-run-stack';

const LOCATION = 'SMlistedBeforeDel001';
/** Two pages of the contact walk and one batch, written only once its second page came. */
const CONTACTS = 150;
const SERVICE_TOKEN = 'listed-before-delete-token-0123456789';

type FirstPageHook = (page: GhlListedContact[]) => Promise<void>;

/** The walk's pages as GHL answers them, `hook` run once the first has been handed out. */
async function* afterFirstPage(
  pages: AsyncIterable<GhlListedContact[]>,
  hook: FirstPageHook,
): AsyncGenerator<GhlListedContact[]> {
  let isFirst = true;
  for await (const page of pages) {
    yield page;
    if (isFirst) await hook(page);
    isFirst = false;
  }
}

/**
 * The worker's own GHL client against the sandbox, made once the stack has started, whose
 * contact walk runs `hook` between its first and second page: what GHL does in that moment.
 * The worker does not close a client handed to it; `close` does.
 */
function hookedGhl(
  stack: () => { config: Parameters<typeof createGhlApi>[0] },
  hook: FirstPageHook,
): { api: GhlApi; close(): Promise<void> } {
  let real: GhlApiHandle | undefined;
  const api: GhlApi = {
    forLocation(locationId, options) {
      const { config } = stack();
      real ??= createGhlApi(
        config,
        new AuthServiceTokenProvider({
          authServiceUrl: config.AUTH_SERVICE_URL,
          serviceToken: config.SERVICE_TOKEN,
        }),
      );
      const location = real.api.forLocation(locationId, options);

      return new Proxy(location, {
        get(target, property) {
          if (property === 'listContacts') {
            return (...args: Parameters<LocationApi['listContacts']>) =>
              afterFirstPage(target.listContacts(...args), hook);
          }
          const value: unknown = Reflect.get(target, property, target);

          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    close: async () => undefined,
  };

  return { api, close: async () => real?.close() };
}

describe('a contact listed before GHL deleted it, its tombstone stored before its batch', () => {
  let deleted: string | undefined;
  const ghl = hookedGhl(
    () => stack,
    // Once the first page is answered: GHL deletes its first contact, and the ContactDelete
    // webhook's tombstone is stored, while the walk lists the page after.
    async ([first]) => {
      deleted = first.id as string;
      await stack.sandbox.change(LOCATION, { kind: 'contact.delete', contactId: deleted });
      const records = new RecordWriter(stack.dataSource);
      await records.transaction((manager) =>
        records.tombstoneContact(manager, LOCATION, deleted as string, new Date()),
      );
    },
  );
  const { stack, run } = useLocationRunStack({
    name: 'listed-before-delete',
    serviceToken: SERVICE_TOKEN,
    locationId: LOCATION,
    contacts: CONTACTS,
    overrides: { ghlApi: ghl.api },
  });

  afterAll(() => ghl.close());

  it('stays deleted: the page that listed it is older than the delete', async () => {
    await run(JobName.SyncLocation, { trigger: 'install' });

    const contact = await stack.dataSource
      .getRepository(Contact)
      .findOneByOrFail({ locationId: LOCATION, id: deleted as string });
    expect(contact.deletedAt).not.toBeNull();
    await expectRecordsEqualSandbox(
      stack.dataSource,
      LOCATION,
      await stack.sandbox.export(LOCATION),
    );
  });
});
