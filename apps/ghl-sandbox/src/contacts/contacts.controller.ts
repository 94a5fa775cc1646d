import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';

import { SandboxStore } from '../dataset/sandbox-store.service';
import { unprocessable } from '../http/ghl-errors';
import { AuthenticatedRequest } from '../oauth/ghl-access.guard';
import { GhlEndpoint } from '../oauth/ghl-endpoint.decorator';
import { ContactInput } from './contact-input';
import { ContactsService, ListQuery } from './contacts.service';
import { baseUrlOf, datasetOf } from './location-scope';

const READ = { scopes: ['contacts.readonly'] };
const WRITE = { scopes: ['contacts.write'] };

function requireLocationId(locationId: unknown): string {
  if (typeof locationId !== 'string' || locationId === '') {
    throw unprocessable(['locationId should not be empty', 'locationId must be a string']);
  }

  return locationId;
}

/** The contact routes of vendor/ghl/openapi/apps/contacts.json. Static paths come first. */
@Controller('contacts')
export class ContactsController {
  constructor(
    private readonly store: SandboxStore,
    private readonly contacts: ContactsService,
  ) {}

  @Get()
  @GhlEndpoint(READ)
  list(@Req() request: AuthenticatedRequest, @Query() query: ListQuery & { locationId?: string }) {
    const dataset = datasetOf(this.store, request, requireLocationId(query.locationId));

    return this.contacts.list(dataset, query, baseUrlOf(request));
  }

  @Post()
  @GhlEndpoint(WRITE)
  create(@Req() request: AuthenticatedRequest, @Body() body: ContactInput) {
    const dataset = datasetOf(this.store, request, requireLocationId(body?.locationId));
    const change = this.contacts.create(dataset, body);
    this.contacts.notify(change.events);

    return { contact: change.record };
  }

  @Post('search')
  @HttpCode(200)
  @GhlEndpoint(READ)
  search(
    @Req() request: AuthenticatedRequest,
    @Body() body: Parameters<ContactsService['search']>[1] & { locationId?: string },
  ) {
    const dataset = datasetOf(this.store, request, requireLocationId(body?.locationId));

    return { ...this.contacts.search(dataset, body), traceId: randomUUID() };
  }

  @Get('search/duplicate')
  @GhlEndpoint(READ)
  duplicate(
    @Req() request: AuthenticatedRequest,
    @Query() query: { locationId?: string; email?: string; number?: string },
  ) {
    const dataset = datasetOf(this.store, request, requireLocationId(query.locationId));

    return this.contacts.duplicate(dataset, query.email, query.number);
  }

  @Post('upsert')
  @HttpCode(200)
  @GhlEndpoint(WRITE)
  upsert(
    @Req() request: AuthenticatedRequest,
    @Body() body: ContactInput & { createNewIfDuplicateAllowed?: boolean },
  ) {
    const dataset = datasetOf(this.store, request, requireLocationId(body?.locationId));
    const change = this.contacts.upsert(dataset, body);
    this.contacts.notify(change.events);

    return { new: change.isNew, contact: change.record, traceId: randomUUID() };
  }

  @Get('business/:businessId')
  @GhlEndpoint(READ)
  byBusiness(
    @Req() request: AuthenticatedRequest,
    @Param('businessId') businessId: string,
    @Query() query: { locationId?: string; limit?: string; skip?: string; query?: string },
  ) {
    const dataset = datasetOf(this.store, request, requireLocationId(query.locationId));

    return this.contacts.byBusiness(dataset, businessId, query);
  }

  @Post('bulk/tags/update/:type')
  @GhlEndpoint(WRITE)
  bulkTags(
    @Req() request: AuthenticatedRequest,
    @Param('type') type: string,
    @Body()
    body: { contacts?: string[]; tags?: string[]; locationId?: string; removeAllTags?: boolean },
  ) {
    const dataset = datasetOf(this.store, request, requireLocationId(body?.locationId));
    if (type !== 'add' && type !== 'remove') throw unprocessable(['type must be add or remove']);
    if (!Array.isArray(body.contacts) || !Array.isArray(body.tags)) {
      throw unprocessable(['contacts must be an array', 'tags must be an array']);
    }
    const responses: string[] = [];
    let errorCount = 0;
    for (const contactId of body.contacts) {
      if (!dataset.contacts.has(contactId)) {
        errorCount += 1;
        responses.push(`${contactId}: contact does not belong to location`);
        continue;
      }
      const current = dataset.contacts.get(contactId)?.tags ?? [];
      const change =
        type === 'add' ? { add: body.tags } : { remove: body.removeAllTags ? current : body.tags };
      this.contacts.notify(this.contacts.changeTags(dataset, contactId, change).events);
      responses.push(`${contactId}: Tags updated`);
    }

    return { succeded: errorCount === 0, errorCount, responses };
  }

  @Post('bulk/business')
  @HttpCode(200)
  @GhlEndpoint(WRITE)
  bulkBusiness(
    @Req() request: AuthenticatedRequest,
    @Body() body: { locationId?: string; ids?: string[]; businessId?: string | null },
  ) {
    const dataset = datasetOf(this.store, request, requireLocationId(body?.locationId));
    if (!Array.isArray(body.ids) || body.businessId === undefined) {
      throw unprocessable(['ids must be an array', 'businessId must be a string or null']);
    }
    const business = dataset.businesses.find((item) => item.id === body.businessId);
    const ids = body.ids.filter((id) => dataset.contacts.has(id));
    for (const id of ids) {
      const contact = dataset.contacts.get(id);
      if (!contact) continue;
      contact.businessId = business?.id;
      contact.companyName = business?.name ?? contact.companyName;
      contact.dateUpdated = new Date().toISOString();
    }

    return { success: true, ids };
  }

  @Get(':contactId')
  @GhlEndpoint(READ)
  get(@Req() request: AuthenticatedRequest, @Param('contactId') contactId: string) {
    return { contact: this.contacts.get(datasetOf(this.store, request), contactId) };
  }

  @Put(':contactId')
  @GhlEndpoint(WRITE)
  update(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: ContactInput,
  ) {
    const change = this.contacts.update(datasetOf(this.store, request), contactId, body ?? {});
    this.contacts.notify(change.events);

    return { succeded: true, contact: change.record };
  }

  @Delete(':contactId')
  @GhlEndpoint(WRITE)
  remove(@Req() request: AuthenticatedRequest, @Param('contactId') contactId: string) {
    const change = this.contacts.remove(datasetOf(this.store, request), contactId);
    this.contacts.notify(change.events);

    return { succeded: true };
  }
}
