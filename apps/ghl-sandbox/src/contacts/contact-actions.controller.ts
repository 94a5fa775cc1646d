import { Body, Controller, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';

import { LocationDataset } from '../dataset/location-dataset';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { unprocessable } from '../http/ghl-errors';
import { AuthenticatedRequest } from '../oauth/ghl-access.guard';
import { GhlEndpoint } from '../oauth/ghl-endpoint.decorator';
import { ContactsService } from './contacts.service';
import { datasetOf } from './location-scope';

const WRITE = { scopes: ['contacts.write'] };

function stringList(value: unknown, field: string): string[] {
  const isList = Array.isArray(value) && value.every((item) => typeof item === 'string');
  if (!isList) throw unprocessable([`${field} must be an array of strings`]);

  return value as string[];
}

/** Tags, followers, campaigns and workflows of one contact. */
@Controller('contacts/:contactId')
export class ContactActionsController {
  constructor(
    private readonly store: SandboxStore,
    private readonly contacts: ContactsService,
  ) {}

  @Post('tags')
  @GhlEndpoint(WRITE)
  addTags(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: { tags?: unknown },
  ) {
    const add = stringList(body?.tags, 'tags');
    const change = this.contacts.changeTags(datasetOf(this.store, request), contactId, { add });
    this.contacts.notify(change.events);

    return { tags: change.record.tags };
  }

  @Delete('tags')
  @GhlEndpoint(WRITE)
  removeTags(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: { tags?: unknown },
  ) {
    const remove = stringList(body?.tags, 'tags');
    const dataset = datasetOf(this.store, request);
    const change = this.contacts.changeTags(dataset, contactId, { remove });
    this.contacts.notify(change.events);

    return { tags: change.record.tags };
  }

  @Post('followers')
  @GhlEndpoint(WRITE)
  addFollowers(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: { followers?: unknown },
  ) {
    const wanted = stringList(body?.followers, 'followers');
    const contact = this.contacts.get(datasetOf(this.store, request), contactId);
    const followersAdded = wanted.filter((id) => !contact.followers.includes(id));
    contact.followers = [...contact.followers, ...new Set(followersAdded)];

    return { followers: contact.followers, followersAdded };
  }

  @Delete('followers')
  @GhlEndpoint(WRITE)
  removeFollowers(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Body() body: { followers?: unknown },
  ) {
    const unwanted = stringList(body?.followers, 'followers');
    const contact = this.contacts.get(datasetOf(this.store, request), contactId);
    const followersRemoved = contact.followers.filter((id) => unwanted.includes(id));
    contact.followers = contact.followers.filter((id) => !unwanted.includes(id));

    return { followers: contact.followers, followersRemoved };
  }

  @Delete('campaigns/removeAll')
  @GhlEndpoint(WRITE)
  removeFromEveryCampaign(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
  ) {
    this.membership(datasetOf(this.store, request), contactId).campaigns.clear();

    return { succeded: true };
  }

  @Post('campaigns/:campaignId')
  @GhlEndpoint(WRITE)
  addToCampaign(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('campaignId') campaignId: string,
  ) {
    this.membership(datasetOf(this.store, request), contactId).campaigns.add(campaignId);

    return { succeded: true };
  }

  @Delete('campaigns/:campaignId')
  @GhlEndpoint(WRITE)
  removeFromCampaign(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('campaignId') campaignId: string,
  ) {
    this.membership(datasetOf(this.store, request), contactId).campaigns.delete(campaignId);

    return { succeded: true };
  }

  @Post('workflow/:workflowId')
  @HttpCode(200)
  @GhlEndpoint(WRITE)
  addToWorkflow(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('workflowId') workflowId: string,
  ) {
    this.membership(datasetOf(this.store, request), contactId).workflows.add(workflowId);

    return { succeded: true };
  }

  @Delete('workflow/:workflowId')
  @GhlEndpoint(WRITE)
  removeFromWorkflow(
    @Req() request: AuthenticatedRequest,
    @Param('contactId') contactId: string,
    @Param('workflowId') workflowId: string,
  ) {
    this.membership(datasetOf(this.store, request), contactId).workflows.delete(workflowId);

    return { succeded: true };
  }

  private membership(dataset: LocationDataset, contactId: string) {
    this.contacts.get(dataset, contactId);
    const existing = dataset.memberships.get(contactId);
    if (existing) return existing;
    const created = { campaigns: new Set<string>(), workflows: new Set<string>() };
    dataset.memberships.set(contactId, created);

    return created;
  }
}
