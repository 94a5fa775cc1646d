import { InitialSchema1764800000000 } from './1764800000000-initial-schema';

/** Every migration, oldest first. A new one is appended here. */
export const ALL_MIGRATIONS = [InitialSchema1764800000000];
