import {
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { parseQuery, queryParameters, wholeNumber } from '../http/query-parameters';
import { encodeCursor, pageCursor } from '../read-api/page-cursor';
import { ParkedJobs } from './parked-jobs.service';
import { ServiceTokenGuard } from './service-token.guard';

/** The most parked jobs one page holds. */
export const MAX_PARKED_JOBS_PAGE = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const parkedJobListQuery = queryParameters({
  limit: wholeNumber(1, MAX_PARKED_JOBS_PAGE).default(100),
  /** The id of the last parked job of the page before, as an opaque cursor. */
  cursor: pageCursor(['recordId'])
    .refine(([id]) => UUID.test(id), { message: 'not a cursor this API gave out' })
    .transform(([id]) => id)
    .optional(),
});

/** Operators see and replay parked jobs here (service token only; never exposed publicly). */
@Controller('admin/parked-jobs')
@UseGuards(ServiceTokenGuard)
export class ParkedJobsController {
  constructor(private readonly parkedJobs: ParkedJobs) {}

  /** `?limit=` (1–500, default 100) and `?cursor=` (the `nextCursor` of the page before). */
  @Get()
  async list(@Query() query: unknown) {
    const { limit, cursor } = parseQuery(parkedJobListQuery, query);
    const page = await this.parkedJobs.list({ limit, after: cursor });

    return {
      data: page.data.map(({ data: _data, ...job }) => job),
      nextCursor: page.nextCursor && encodeCursor([page.nextCursor]),
      total: page.total,
    };
  }

  @Post(':id/replay')
  @HttpCode(202)
  replay(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.parkedJobs.replay(id);
  }
}
