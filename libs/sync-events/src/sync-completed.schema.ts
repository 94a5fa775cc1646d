import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import schema from '../schema/sync-completed.v1.json';

import type { SyncCompletedEventV1 } from './sync-completed.event';

export const syncCompletedV1Schema = schema;

const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
const validateV1 = ajv.compile<SyncCompletedEventV1>(schema);

/** Whether a value is a valid v1 event; the reasons are in `explainInvalidEvent`. */
export function isSyncCompletedEventV1(value: unknown): value is SyncCompletedEventV1 {
  return validateV1(value);
}

/** Why the last value checked with `isSyncCompletedEventV1` was refused (paths, not values). */
export function explainInvalidEvent(value: unknown): string[] {
  if (validateV1(value)) return [];

  return (validateV1.errors ?? []).map(
    (error) => `${error.instancePath || '(event)'} ${error.message ?? 'is invalid'}`,
  );
}
