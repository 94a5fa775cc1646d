import type { components as ContactSchemas } from './generated/contacts';
import type { components as LocationSchemas } from './generated/locations';
import type { components as OAuthSchemas } from './generated/oauth';

/**
 * GHL's records as the official spec defines them (types generated from vendor/ghl/openapi).
 * Every field is optional in the spec; code that reads them must cope with gaps.
 */
export type GhlContact = ContactSchemas['schemas']['GetContectByIdSchema'];
export type GhlListedContact = ContactSchemas['schemas']['ContactsSearchSchema'] &
  Partial<GhlContact>;
export type GhlTask = ContactSchemas['schemas']['TaskSchema'];
export type GhlNote = ContactSchemas['schemas']['GetNoteSchema'];
export type GhlAppointment = ContactSchemas['schemas']['GetEventSchema'];
export type GhlCreateTaskBody = ContactSchemas['schemas']['CreateTaskParams'];
export type GhlUpdateTaskBody = ContactSchemas['schemas']['UpdateTaskBody'];
export type GhlLocation = LocationSchemas['schemas']['GetLocationByIdSuccessfulResponseDto'];
export type GhlTokenResponse = OAuthSchemas['schemas']['GetAccessCodeSuccessfulResponseDto'];
export type GhlLocationTokenResponse =
  OAuthSchemas['schemas']['GetLocationAccessTokenSuccessfulResponseDto'];

/** The `Version` header every v2 contacts, locations and oauth/locationToken call carries. */
export const GHL_API_VERSION = '2021-07-28';
export const GHL_PRODUCTION_BASE_URL = 'https://services.leadconnectorhq.com';
export const GHL_PRODUCTION_AUTHORIZE_URL =
  'https://marketplace.gohighlevel.com/v2/oauth/chooselocation';
