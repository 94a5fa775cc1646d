import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';

import { ParkedJobs } from './parked-jobs.service';
import { ServiceTokenGuard } from './service-token.guard';

/** Operators see and replay parked jobs here (service token only; never exposed publicly). */
@Controller('admin/parked-jobs')
@UseGuards(ServiceTokenGuard)
export class ParkedJobsController {
  constructor(private readonly parkedJobs: ParkedJobs) {}

  @Get()
  async list() {
    const jobs = await this.parkedJobs.list();

    return jobs.map(({ data: _data, ...job }) => job);
  }

  @Post(':id/replay')
  @HttpCode(202)
  replay(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.parkedJobs.replay(id);
  }
}
