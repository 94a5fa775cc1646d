import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  authorize,
  ghl,
  JsonBody,
  LOCATION_ID,
  locationToken,
  REDIRECT_URI,
  Sandbox,
  startSandbox,
  tokenRequest,
} from './sandbox-harness';

const SPEC_ROOT = path.resolve(__dirname, '../../../vendor/ghl/openapi');
const SPEC_BASE = 'https://spec.ghl.invalid/';
const DOCUMENTS = [
  'apps/contacts.json',
  'apps/locations.json',
  'apps/oauth.json',
  'common/common-schemas.json',
];

function loadSpecs() {
  // OpenAPI keywords (example, nullable…) are not JSON Schema's; strict mode would refuse them.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const documents: Record<string, JsonBody> = {};
  for (const document of DOCUMENTS) {
    documents[document] = JSON.parse(readFileSync(path.join(SPEC_ROOT, document), 'utf8'));
    ajv.addSchema(documents[document], `${SPEC_BASE}${document}`);
  }

  return { ajv, documents };
}

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

describe('contract: the sandbox answers with the official response schemas', () => {
  const { ajv, documents } = loadSpecs();
  const covered = new Set<string>();
  let sandbox: Sandbox;
  let token: string;

  /** Asserts the status the spec declares and validates the body against its schema. */
  function expectOperation(
    document: string,
    specPath: string,
    method: string,
    status: number,
    answer: { status: number; body?: JsonBody },
  ): void {
    const operation = documents[document].paths[specPath]?.[method];
    expect(operation).toBeDefined();
    expect({ operation: operation.operationId, status: answer.status }).toEqual({
      operation: operation.operationId,
      status,
    });
    const content = operation.responses[String(status)]?.content?.['application/json'];
    if (content?.schema) {
      const where = ['paths', specPath, method, 'responses', String(status), 'content'];
      const ref = `${SPEC_BASE}${document}#/${pointer(...where, 'application/json', 'schema')}`;
      const validate = ajv.compile({ $ref: ref });
      const isValid = validate(answer.body);
      expect({ operation: operation.operationId, errors: validate.errors ?? null }).toEqual({
        operation: operation.operationId,
        errors: null,
      });
      expect(isValid).toBe(true);
    }
    covered.add(`${document} ${method.toUpperCase()} ${specPath}`);
  }

  const call = (method: string, url: string, body?: unknown) =>
    ghl(sandbox.baseUrl, token, url, { method, body });

  beforeAll(async () => {
    sandbox = await startSandbox({
      SANDBOX_LOCATIONS: `${LOCATION_ID}:150`,
      SANDBOX_RATE_LIMITS: 'false',
    });
    token = (await locationToken(sandbox.baseUrl)).accessToken;
  });

  afterAll(() => sandbox.close());

  it('serves every contacts operation as the spec defines it', async () => {
    const C = 'apps/contacts.json';
    const list = await call('GET', `/contacts/?locationId=${LOCATION_ID}&limit=100`);
    expectOperation(C, '/contacts/', 'get', 200, list);
    const seeded = list.body?.contacts as JsonBody[];
    const withBusiness = seeded.find((contact) => contact.businessId) as JsonBody;
    const someone = seeded[3];

    const created = await call('POST', '/contacts/', {
      locationId: LOCATION_ID,
      firstName: 'Rosa',
      lastName: 'Contract',
      email: 'rosa.contract@example.com',
      phone: '+13035550199',
      tags: ['solar-lead'],
      customFields: [{ key: 'contact.roof_type', field_value: 'Metal' }],
    });
    expectOperation(C, '/contacts/', 'post', 201, created);
    const id = created.body?.contact.id as string;

    expectOperation(C, '/contacts/{contactId}', 'get', 200, await call('GET', `/contacts/${id}`));
    expectOperation(
      C,
      '/contacts/{contactId}',
      'put',
      200,
      await call('PUT', `/contacts/${id}`, { city: 'Golden', tags: ['solar-lead', 'financing'] }),
    );
    expectOperation(
      C,
      '/contacts/upsert',
      'post',
      200,
      await call('POST', '/contacts/upsert', {
        locationId: LOCATION_ID,
        email: 'rosa.contract@example.com',
        city: 'Arvada',
      }),
    );
    expectOperation(
      C,
      '/contacts/search',
      'post',
      200,
      await call('POST', '/contacts/search', { locationId: LOCATION_ID, pageLimit: 10 }),
    );
    expectOperation(
      C,
      '/contacts/search/duplicate',
      'get',
      200,
      await call(
        'GET',
        `/contacts/search/duplicate?locationId=${LOCATION_ID}&email=rosa.contract%40example.com`,
      ),
    );
    expectOperation(
      C,
      '/contacts/business/{businessId}',
      'get',
      200,
      await call('GET', `/contacts/business/${withBusiness.businessId}?locationId=${LOCATION_ID}`),
    );

    const task = await call('POST', `/contacts/${id}/tasks`, {
      title: 'Schedule site survey',
      dueDate: '2026-01-15T17:00:00.000Z',
      completed: false,
    });
    expectOperation(C, '/contacts/{contactId}/tasks', 'post', 201, task);
    const taskId = task.body?.task.id as string;
    expectOperation(
      C,
      '/contacts/{contactId}/tasks',
      'get',
      200,
      await call('GET', `/contacts/${someone.id}/tasks`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/tasks/{taskId}',
      'get',
      200,
      await call('GET', `/contacts/${id}/tasks/${taskId}`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/tasks/{taskId}',
      'put',
      200,
      await call('PUT', `/contacts/${id}/tasks/${taskId}`, { title: 'Survey booked' }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/tasks/{taskId}/completed',
      'put',
      200,
      await call('PUT', `/contacts/${id}/tasks/${taskId}/completed`, { completed: true }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/tasks/{taskId}',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/tasks/${taskId}`),
    );

    const note = await call('POST', `/contacts/${id}/notes`, { body: 'Wants a battery quote.' });
    expectOperation(C, '/contacts/{contactId}/notes', 'post', 201, note);
    const noteId = note.body?.note.id as string;
    expectOperation(
      C,
      '/contacts/{contactId}/notes',
      'get',
      200,
      await call('GET', `/contacts/${someone.id}/notes`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/notes/{id}',
      'get',
      200,
      await call('GET', `/contacts/${id}/notes/${noteId}`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/notes/{id}',
      'put',
      200,
      await call('PUT', `/contacts/${id}/notes/${noteId}`, { body: 'Wants two batteries.' }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/notes/{id}',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/notes/${noteId}`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/appointments',
      'get',
      200,
      await call('GET', `/contacts/${someone.id}/appointments`),
    );

    expectOperation(
      C,
      '/contacts/{contactId}/tags',
      'post',
      201,
      await call('POST', `/contacts/${id}/tags`, { tags: ['hot-lead'] }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/tags',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/tags`, { tags: ['hot-lead'] }),
    );
    expectOperation(
      C,
      '/contacts/bulk/tags/update/{type}',
      'post',
      201,
      await call('POST', '/contacts/bulk/tags/update/add', {
        locationId: LOCATION_ID,
        contacts: [id, 'not-a-contact'],
        tags: ['roof-inspection'],
      }),
    );
    expectOperation(
      C,
      '/contacts/bulk/business',
      'post',
      200,
      await call('POST', '/contacts/bulk/business', {
        locationId: LOCATION_ID,
        ids: [id],
        businessId: withBusiness.businessId,
      }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/followers',
      'post',
      201,
      await call('POST', `/contacts/${id}/followers`, { followers: ['user-1'] }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/followers',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/followers`, { followers: ['user-1'] }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/campaigns/{campaignId}',
      'post',
      201,
      await call('POST', `/contacts/${id}/campaigns/camp1`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/campaigns/{campaignId}',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/campaigns/camp1`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/campaigns/removeAll',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/campaigns/removeAll`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/workflow/{workflowId}',
      'post',
      200,
      await call('POST', `/contacts/${id}/workflow/wf1`, {
        eventStartTime: '2026-01-01T10:00:00Z',
      }),
    );
    expectOperation(
      C,
      '/contacts/{contactId}/workflow/{workflowId}',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}/workflow/wf1`),
    );
    expectOperation(
      C,
      '/contacts/{contactId}',
      'delete',
      200,
      await call('DELETE', `/contacts/${id}`),
    );

    const all = Object.entries(documents[C].paths).flatMap(([specPath, methods]) =>
      Object.keys(methods as object).map((method) => `${C} ${method.toUpperCase()} ${specPath}`),
    );
    expect(all.filter((operation) => !covered.has(operation))).toEqual([]);
  });

  it('answers errors with the spec error shapes', async () => {
    const C = 'apps/contacts.json';
    const noToken = await ghl(sandbox.baseUrl, 'nope', `/contacts/?locationId=${LOCATION_ID}`);
    const noVersion = await ghl(sandbox.baseUrl, token, `/contacts/?locationId=${LOCATION_ID}`, {
      headers: { version: '' },
    });
    const first = await call('GET', `/contacts/?locationId=${LOCATION_ID}&limit=1`);
    const invalid = await call('POST', `/contacts/${first.body?.contacts[0].id}/tasks`, {});

    expectOperation(C, '/contacts/', 'get', 401, noToken);
    expectOperation(C, '/contacts/', 'get', 400, noVersion);
    expectOperation(C, '/contacts/{contactId}/tasks', 'post', 422, invalid);
  });

  it('serves the location, its custom fields and the OAuth answers as specified', async () => {
    const L = 'apps/locations.json';
    const O = 'apps/oauth.json';
    expectOperation(
      L,
      '/locations/{locationId}',
      'get',
      200,
      await call('GET', `/locations/${LOCATION_ID}`),
    );
    expectOperation(
      L,
      '/locations/{locationId}/customFields',
      'get',
      200,
      await call('GET', `/locations/${LOCATION_ID}/customFields`),
    );

    const redirect = await authorize(sandbox.baseUrl);
    const company = await tokenRequest(sandbox.baseUrl, {
      grant_type: 'authorization_code',
      code: redirect.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      user_type: 'Company',
    });
    expectOperation(O, '/oauth/token', 'post', 200, company);
    const agency = company.body.access_token as string;
    expectOperation(
      O,
      '/oauth/locationToken',
      'post',
      200,
      await ghl(sandbox.baseUrl, agency, '/oauth/locationToken', {
        method: 'POST',
        body: { companyId: 'SMsandboxCompany0001', locationId: LOCATION_ID },
      }),
    );
    expectOperation(
      O,
      '/oauth/installedLocations',
      'get',
      200,
      await ghl(
        sandbox.baseUrl,
        agency,
        '/oauth/installedLocations?companyId=SMsandboxCompany0001&appId=sandbox',
      ),
    );
  });
});
