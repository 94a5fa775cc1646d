import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { Logger } from '@nestjs/common';
import { request } from 'undici';

import { GhlClient, type LocationClient } from '../src';
import { type Sandbox, startSandbox } from './support/sandbox';

const LOCATION = 'SMoperationsLoc00001';
const CONTACTS_SPEC = path.resolve(__dirname, '../../../vendor/ghl/openapi/apps/contacts.json');

interface SpecOperation {
  operationId: string;
  method: string;
  pattern: RegExp;
  /** Literal path segments: with two templates matching, the more literal one is the route. */
  literals: number;
}

/** Every operation of GHL's contacts spec, with a pattern for the paths it serves. */
function specOperations(): SpecOperation[] {
  const spec = JSON.parse(readFileSync(CONTACTS_SPEC, 'utf8')) as {
    paths: Record<string, Record<string, { operationId: string }>>;
  };

  return Object.entries(spec.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const segments = template.split('/');
      const pattern = segments.map((part) => (part.startsWith('{') ? '[^/]+' : part)).join('/');

      return {
        operationId: operation.operationId,
        method: method.toUpperCase(),
        pattern: new RegExp(`^${pattern}$`),
        literals: segments.filter((part) => part !== '' && !part.startsWith('{')).length,
      };
    }),
  );
}

/** The spec operation a request on the wire is, or undefined. */
function operationOf(operations: SpecOperation[], method: string, url: string) {
  const pathOnly = url.split('?')[0];

  return operations
    .filter((operation) => operation.method === method && operation.pattern.test(pathOnly))
    .sort((a, b) => b.literals - a.literals)[0]?.operationId;
}

/**
 * A loopback proxy in front of the sandbox that writes down the method and path of every
 * request the client sends, so the test knows what went over the wire, not what it meant to send.
 */
async function recordingProxy(target: string) {
  const seen: Array<{ method: string; url: string; status: number }> = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const method = incoming.method ?? 'GET';
      const headers = { ...incoming.headers };
      delete headers.host;
      delete headers.connection;
      const answer = await request(`${target}${incoming.url}`, {
        method: method as 'GET',
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.body.arrayBuffer());
      seen.push({ method, url: incoming.url ?? '', status: answer.statusCode });
      outgoing.writeHead(answer.statusCode, { 'content-type': 'application/json' });
      outgoing.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('GhlClient: every operation of the contacts spec, over HTTP against the sandbox', () => {
  let sandbox: Sandbox;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let client: GhlClient;
  let ghl: LocationClient;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    sandbox = await startSandbox(`${LOCATION}:30`);
    proxy = await recordingProxy(sandbox.baseUrl);
    client = new GhlClient({ baseUrl: proxy.url, tokenProvider: await sandbox.install(LOCATION) });
    ghl = client.forLocation(LOCATION);
  });

  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await sandbox?.stop();
  });

  it('calls each of the 32 operations with the method and path the spec gives it', async () => {
    const [someone] = await collectFirstPage(ghl.listContacts({ pageSize: 30 }));
    const searched = await collectFirstPage(ghl.searchContacts({ pageLimit: 5 }));
    const withBusiness = (await collectFirstPage(ghl.listContacts({ pageSize: 30 }))).find(
      (contact) => contact.businessId,
    );
    const businessId = withBusiness?.businessId as string;
    const inBusiness = await collectFirstPage(ghl.listBusinessContacts(businessId));

    const created = await ghl.createContact({
      firstName: 'Ops',
      lastName: 'Walker',
      email: 'ops.walker@example.com',
      phone: '+13035550142',
    });
    const id = created.id as string;
    const duplicate = await ghl.findDuplicateContact({ email: 'ops.walker@example.com' });
    const fetched = await ghl.getContact(id);
    const updated = await ghl.updateContact(id, { city: 'Boulder' });
    const upserted = await ghl.upsertContact({
      email: 'ops.walker@example.com',
      city: 'Lyons',
      createNewIfDuplicateAllowed: false,
    });

    const task = await ghl.createContactTask(id, {
      title: 'Call about the roof',
      dueDate: '2026-02-01T17:00:00.000Z',
      completed: false,
    });
    const taskId = task.id as string;
    const tasks = await ghl.listContactTasks(id);
    const sameTask = await ghl.getContactTask(id, taskId);
    const renamed = await ghl.updateContactTask(id, taskId, { title: 'Call about the panels' });
    const completed = await ghl.completeContactTask(id, taskId, true);
    await ghl.deleteContactTask(id, taskId);

    const note = await ghl.createContactNote(id, { body: 'Asked for a battery quote.' });
    const noteId = note.id as string;
    const notes = await ghl.listContactNotes(id);
    const sameNote = await ghl.getContactNote(id, noteId);
    const edited = await ghl.updateContactNote(id, noteId, { body: 'Asked for two batteries.' });
    await ghl.deleteContactNote(id, noteId);
    const appointments = await ghl.listContactAppointments(someone.id as string);

    const tagged = await ghl.addContactTags(id, ['hot-lead']);
    const untagged = await ghl.removeContactTags(id, ['hot-lead']);
    const bulk = await ghl.bulkUpdateContactTags('add', { contacts: [id], tags: ['survey'] });
    const moved = await ghl.setContactsBusiness({ ids: [id], businessId });
    const followed = await ghl.addContactFollowers(id, ['user-1']);
    const unfollowed = await ghl.removeContactFollowers(id, ['user-1']);
    await ghl.addContactToCampaign(id, 'campaign-1');
    await ghl.removeContactFromCampaign(id, 'campaign-1');
    await ghl.removeContactFromAllCampaigns(id);
    await ghl.addContactToWorkflow(id, 'workflow-1', { eventStartTime: '2026-02-01T10:00:00Z' });
    await ghl.removeContactFromWorkflow(id, 'workflow-1');
    await ghl.deleteContact(id);
    const gone = await ghl.getContact(id).catch((error: unknown) => error);

    expect(searched.length).toBe(5);
    expect(inBusiness.every((contact) => contact.businessId === businessId)).toBe(true);
    expect([duplicate?.id, fetched.id, updated.city, upserted.contact?.id]).toEqual([
      id,
      id,
      'Boulder',
      id,
    ]);
    expect(tasks.map((each) => each.id)).toContain(taskId);
    expect([sameTask.id, renamed.title, completed.completed]).toEqual([
      taskId,
      'Call about the panels',
      true,
    ]);
    expect(notes.map((each) => each.id)).toContain(noteId);
    expect([sameNote.id, edited.body]).toEqual([noteId, 'Asked for two batteries.']);
    expect(Array.isArray(appointments)).toBe(true);
    expect([tagged, untagged]).toEqual([expect.arrayContaining(['hot-lead']), expect.any(Array)]);
    expect(untagged).not.toContain('hot-lead');
    expect(bulk.succeded).toBe(true);
    expect(moved.success).toBe(true);
    expect([followed.followers, unfollowed.followers]).toEqual([
      expect.arrayContaining(['user-1']),
      expect.not.arrayContaining(['user-1']),
    ]);
    expect(gone).toMatchObject({ kind: 'not-found', status: 404, operation: 'get-contact' });

    const operations = specOperations();
    const onTheWire = new Set(
      proxy.seen
        .filter((exchange) => exchange.status < 400)
        .map((exchange) => operationOf(operations, exchange.method, exchange.url)),
    );
    const missing = operations.map((each) => each.operationId).filter((op) => !onTheWire.has(op));
    expect(operations).toHaveLength(32);
    expect(missing).toEqual([]);
    expect(proxy.seen.filter((exchange) => exchange.status >= 400)).toEqual([
      expect.objectContaining({ method: 'GET', url: `/contacts/${id}`, status: 404 }),
    ]);
  });
});

async function collectFirstPage<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  for await (const page of pages) return page;

  return [];
}
