/**
 * Our GHL Marketplace app's id. GHL's client ids read `<appId>-<suffix>`, and GHL's own SDK takes
 * the part before the first `-` as the app id, so no separate setting is needed (and none can
 * drift from the client id GHL issued us).
 */
export function ghlAppIdOf(clientId: string): string {
  return clientId.split('-')[0];
}
