import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

/** Active GHL connections, as the auth service leaves them after an install with these scopes. */
export async function connectLocations(
  dataSource: DataSource,
  locationIds: string[],
  scopes: string[],
): Promise<void> {
  await dataSource
    .getRepository(Connection)
    .save(
      locationIds.map((locationId) => ({ locationId, status: ConnectionStatus.Active, scopes })),
    );
}
