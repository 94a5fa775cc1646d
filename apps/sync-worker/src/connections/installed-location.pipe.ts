import { BadRequestException, Injectable, NotFoundException, PipeTransform } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

/** GHL location ids, as the auth service's routes take them. */
const LOCATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * An admin route's `:locationId`: a well-formed id (else 400) of a location installed here
 * (else 404), so that settings are never stored for a location nobody connected.
 */
@Injectable()
export class InstalledLocationPipe implements PipeTransform<string, Promise<string>> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async transform(locationId: string): Promise<string> {
    if (!LOCATION_ID.test(locationId)) {
      throw new BadRequestException({ message: ['locationId: not a GHL location id'] });
    }
    const connection = await this.dataSource.getRepository(Connection).findOneBy({ locationId });
    const isInstalled = connection !== null && connection.status !== ConnectionStatus.Uninstalled;
    if (!isInstalled) throw new NotFoundException('no installed location with this id');

    return locationId;
  }
}
