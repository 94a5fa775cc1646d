import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';

import { SandboxStore } from '../dataset/sandbox-store.service';
import { AuthenticatedRequest } from '../oauth/ghl-access.guard';
import { GhlEndpoint } from '../oauth/ghl-endpoint.decorator';
import { AccessToken } from '../oauth/token-store.service';
import { locationFor } from './location-access';
import { locationView } from './location-view';
import { searchTasks, TaskSearchInput } from './task-search';

@Controller('locations')
export class LocationsController {
  constructor(private readonly store: SandboxStore) {}

  @Get(':locationId')
  @GhlEndpoint({ scopes: ['locations.readonly'], userTypes: ['Location', 'Company'] })
  location(@Req() request: AuthenticatedRequest, @Param('locationId') locationId: string) {
    const dataset = locationFor(this.store, request.ghlToken as AccessToken, locationId);

    return { location: locationView(dataset) };
  }

  @Get(':locationId/customFields')
  @GhlEndpoint({ scopes: ['locations/customFields.readonly'] })
  customFields(
    @Req() request: AuthenticatedRequest,
    @Param('locationId') locationId: string,
    @Query('model') model?: string,
  ) {
    const dataset = locationFor(this.store, request.ghlToken as AccessToken, locationId);
    const isContactModel = model === undefined || model === 'contact' || model === 'all';

    return { customFields: isContactModel ? dataset.customFields : [] };
  }

  @Post(':locationId/tasks/search')
  @HttpCode(200)
  @GhlEndpoint({ scopes: ['locations/tasks.readonly'] })
  tasks(
    @Req() request: AuthenticatedRequest,
    @Param('locationId') locationId: string,
    @Body() body: TaskSearchInput = {},
  ) {
    const dataset = locationFor(this.store, request.ghlToken as AccessToken, locationId);

    return { tasks: searchTasks(dataset, body ?? {}) };
  }
}
