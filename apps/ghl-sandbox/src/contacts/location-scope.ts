import { LocationDataset } from '../dataset/location-dataset';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { locationFor } from '../locations/location-access';
import { AuthenticatedRequest } from '../oauth/ghl-access.guard';
import { AccessToken } from '../oauth/token-store.service';

/** The dataset a contacts call works on: the token's location (and the one it names, if any). */
export function datasetOf(
  store: SandboxStore,
  request: AuthenticatedRequest,
  locationId?: string,
): LocationDataset {
  return locationFor(store, request.ghlToken as AccessToken, locationId);
}

/** The base URL the caller used, for `nextPageUrl`. */
export function baseUrlOf(request: AuthenticatedRequest): string {
  return `${request.protocol}://${request.get('host')}`;
}
