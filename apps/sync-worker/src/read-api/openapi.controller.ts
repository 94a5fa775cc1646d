import { Controller, Get, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import {
  ApiExcludeController,
  DocumentBuilder,
  OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';

/**
 * The read API's OpenAPI document, built once at boot from the controllers' decorators, so that
 * it cannot drift from the routes.
 */
@Injectable()
export class OpenApiDocument implements OnApplicationBootstrap {
  document: OpenAPIObject | undefined;

  constructor(
    private readonly modules: ModulesContainer,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    // SwaggerModule scans an application; the app object itself is not injectable, so it gets
    // the parts the scanner reads. The worker sets no global prefix and no versioning, which a
    // fresh ApplicationConfig describes.
    const app = {
      container: { getModules: () => this.modules, isGlobalModule: () => false },
      config: new ApplicationConfig(),
      getHttpAdapter: () => this.adapterHost.httpAdapter,
    } as unknown as INestApplication;
    const config = new DocumentBuilder()
      .setTitle('SolarMarket read API')
      .setDescription(
        'Contacts, their tasks, notes, appointments, activity timeline and health score, read ' +
          "from SolarMarket's records. Each API key reads only its own locations.",
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'api-key')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'x-api-key')
      .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'service-token')
      .build();
    const readApiModule = [...this.modules.values()].find((module) =>
      module.controllers.has(OpenApiController),
    );
    this.document = SwaggerModule.createDocument(app, config, {
      include: readApiModule ? [readApiModule.metatype as never] : [],
    });
  }
}

@ApiExcludeController()
@Controller('api/v1')
export class OpenApiController {
  constructor(private readonly openApi: OpenApiDocument) {}

  @Get('openapi.json')
  document(): OpenAPIObject | undefined {
    return this.openApi.document;
  }
}
