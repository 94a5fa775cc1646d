import { SandboxStore } from '../dataset/sandbox-store.service';
import { LocationDataset } from '../dataset/location-dataset';
import { forbidden } from '../http/ghl-errors';
import { AccessToken } from '../oauth/token-store.service';

/**
 * The location a call may touch: a Location token reaches its own location only, an agency
 * token reaches the locations of its company.
 */
export function locationFor(
  store: SandboxStore,
  token: AccessToken,
  locationId: string | undefined,
): LocationDataset {
  const wanted = locationId ?? token.locationId;
  const dataset = wanted ? store.location(wanted) : undefined;
  const isAllowed =
    dataset &&
    (token.userType === 'Location'
      ? token.locationId === dataset.id
      : token.companyId === dataset.location.companyId);
  if (!dataset || !isAllowed) throw forbidden('The token does not have access to this location.');

  return dataset;
}
