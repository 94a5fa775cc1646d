import { Controller, Get, UseGuards } from '@nestjs/common';

import { ServiceTokenGuard } from '../../failures/service-token.guard';
import { OperationsCatalogService } from './operations-catalog.service';

/** `GET /api/v1/catalog`: the operations catalog, machine-readable (service token). */
@Controller('api/v1/catalog')
@UseGuards(ServiceTokenGuard)
export class CatalogController {
  constructor(private readonly catalog: OperationsCatalogService) {}

  @Get()
  get() {
    return this.catalog.get();
  }
}
