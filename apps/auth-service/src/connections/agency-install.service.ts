import { Inject, Injectable, Logger } from '@nestjs/common';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';
import { ghlAppIdOf } from '../config/ghl-app-id';
import { AgencyOAuthApi, OAUTH_API } from '../oauth/oauth-api.provider';
import { TokenRefreshService } from '../tokens/token-refresh.service';
import { ConnectionsService } from './connections.service';

/** GHL's largest page of `GET /oauth/installedLocations`. */
const INSTALLED_PAGE_SIZE = 100;
/** Location tokens minted side by side: GHL counts them against the agency's 100 per 10 s. */
const MINT_CONCURRENCY = 4;

/** What an agency install connected, by location id. */
export interface AgencyInstallOutcome {
  connected: string[];
  alreadyConnected: string[];
  failed: string[];
}

/**
 * Agency (bulk) installs: a Company token we hold, turned into one location token per installed
 * location through `POST /oauth/locationToken`. The locations are the `approvedLocations` GHL
 * named (in the token answer or the INSTALL event) or, when it named none, every location
 * `GET /oauth/installedLocations` lists. A location that fails is reported and the rest go on;
 * running the same install twice connects nothing twice.
 */
@Injectable()
export class AgencyInstallService {
  private readonly logger = new Logger(AgencyInstallService.name);

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServiceConfig,
    @Inject(OAUTH_API) private readonly oauth: AgencyOAuthApi,
    private readonly tokens: TokenRefreshService,
    private readonly connections: ConnectionsService,
  ) {}

  async connectLocations(companyId: string, approved: string[] = []) {
    const locationIds = approved.length > 0 ? approved : await this.installedLocations(companyId);
    const outcome: AgencyInstallOutcome = { connected: [], alreadyConnected: [], failed: [] };
    const queue = [...new Set(locationIds)];
    const mintNext = async (): Promise<void> => {
      for (let locationId = queue.shift(); locationId; locationId = queue.shift()) {
        await this.connectOne(companyId, locationId, outcome);
      }
    };
    await Promise.all(Array.from({ length: MINT_CONCURRENCY }, mintNext));
    this.logger.log(
      { companyId, ...countsOf(outcome), locations: locationIds.length },
      'agency install',
    );

    return outcome;
  }

  private async connectOne(companyId: string, locationId: string, outcome: AgencyInstallOutcome) {
    try {
      const minted = await this.connections.installFromAgency(companyId, locationId);
      (minted ? outcome.connected : outcome.alreadyConnected).push(locationId);
    } catch (error) {
      outcome.failed.push(locationId);
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ companyId, locationId, err: reason }, 'location token not minted');
    }
  }

  /** Every page of `GET /oauth/installedLocations` for our app under the agency. */
  private async installedLocations(companyId: string): Promise<string[]> {
    const appId = ghlAppIdOf(this.config.GHL_CLIENT_ID);
    const companyToken = await this.tokens.companyAccessToken(companyId);
    const ids: string[] = [];
    for (let skip = 0; ; skip += INSTALLED_PAGE_SIZE) {
      const page = await this.oauth.listInstalledLocations(companyToken, {
        companyId,
        appId,
        isInstalled: true,
        skip: String(skip),
        limit: String(INSTALLED_PAGE_SIZE),
      });
      const locations = page.locations ?? [];
      ids.push(...locations.filter((location) => location.isInstalled !== false).map(idOf));
      const isLastPage = locations.length < INSTALLED_PAGE_SIZE || ids.length >= (page.count ?? 0);
      if (isLastPage) return ids;
    }
  }
}

function idOf(location: { _id: string }): string {
  return location._id;
}

function countsOf(outcome: AgencyInstallOutcome) {
  return {
    connected: outcome.connected.length,
    alreadyConnected: outcome.alreadyConnected.length,
    failed: outcome.failed.length,
  };
}
