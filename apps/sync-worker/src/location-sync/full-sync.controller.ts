import { Controller, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';

import { LocationGate } from '../connections/location-gate.service';
import { ServiceTokenGuard } from '../failures/service-token.guard';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';

/** Operators start a full sync of a location here (service token only; never public). */
@Controller('admin/locations')
@UseGuards(ServiceTokenGuard)
export class FullSyncController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly enqueuer: JobEnqueuer,
    private readonly gate: LocationGate,
  ) {}

  /**
   * Every contact and all of its children, changed or not; deduplicated per location. It runs
   * now: the location's pause is lifted and its put-off jobs run, the put-off full sync this one
   * may be absorbed into among them.
   */
  @Post(':locationId/full-sync')
  @HttpCode(202)
  async start(@Param('locationId') locationId: string) {
    const connection = await this.dataSource.getRepository(Connection).findOneBy({ locationId });
    if (!connection || connection.status === ConnectionStatus.Uninstalled) {
      throw new NotFoundException('no installed location with this id');
    }
    await this.gate.resume(locationId);
    const job = await this.enqueuer.syncLocation({ locationId, trigger: 'manual' });

    return { locationId, jobId: job.id };
  }
}
