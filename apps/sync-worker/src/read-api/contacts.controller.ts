import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { parseQuery } from '../http/query-parameters';
import { ApiKeyGuard } from './api-key.guard';
import { ApiPrincipal, Principal } from './api-principal';
import { ContactsRead } from './contacts-read.service';
import { ContactDetailDto, ContactListDto, TimelinePageDto } from './dto/contact-views.dto';
import { BAD_QUERY, contactListQuery, timelineQuery } from './read-api-queries';

@ApiTags('contacts')
@ApiBearerAuth('api-key')
@ApiSecurity('x-api-key')
@ApiUnauthorizedResponse({ description: 'No API key, or one that is not configured.' })
@UseGuards(ApiKeyGuard)
@Controller('api/v1')
export class ContactsController {
  constructor(private readonly contacts: ContactsRead) {}

  @Get('contacts')
  @ApiOperation({ summary: "Contacts of the key's locations, with their current health score" })
  @ApiQuery({ name: 'locationId', required: false, description: 'One of the key’s locations' })
  @ApiQuery({ name: 'tag', required: false, isArray: true, type: String, description: 'All of' })
  @ApiQuery({ name: 'minScore', required: false, type: Number, description: '0–100' })
  @ApiQuery({
    name: 'maxScore',
    required: false,
    type: Number,
    description: '0–100, not below minScore',
  })
  @ApiQuery({
    name: 'updatedSince',
    required: false,
    description: 'ISO-8601 date-time with Z or an offset, years 0001–9999',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the page before' })
  @ApiOkResponse({ type: ContactListDto })
  @ApiBadRequestResponse({ description: BAD_QUERY })
  @ApiForbiddenResponse({ description: 'locationId is not one of the key’s locations.' })
  list(@Principal() principal: ApiPrincipal, @Query() query: unknown): Promise<ContactListDto> {
    return this.contacts.list(principal, parseQuery(contactListQuery, query));
  }

  @Get('locations/:locationId/contacts/:contactId')
  @ApiOperation({ summary: 'A contact with its tasks, notes, appointments, timeline and score' })
  @ApiOkResponse({ type: ContactDetailDto })
  @ApiNotFoundResponse({ description: 'No such contact among the key’s locations.' })
  detail(
    @Principal() principal: ApiPrincipal,
    @Param('locationId') locationId: string,
    @Param('contactId') contactId: string,
  ): Promise<ContactDetailDto> {
    return this.contacts.detail(principal, locationId, contactId);
  }

  @Get('locations/:locationId/contacts/:contactId/timeline')
  @ApiOperation({ summary: "A contact's activity timeline, one page at a time" })
  @ApiQuery({ name: 'order', required: false, enum: ['desc', 'asc'], description: 'Default desc' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the page before' })
  @ApiOkResponse({ type: TimelinePageDto })
  @ApiBadRequestResponse({ description: BAD_QUERY })
  @ApiNotFoundResponse({ description: 'No such contact among the key’s locations.' })
  async timeline(
    @Principal() principal: ApiPrincipal,
    @Param('locationId') locationId: string,
    @Param('contactId') contactId: string,
    @Query() query: unknown,
  ): Promise<TimelinePageDto> {
    const page = parseQuery(timelineQuery, query);
    await this.contacts.findContact(principal, locationId, contactId);

    return this.contacts.timelinePage(principal, locationId, contactId, page);
  }
}
