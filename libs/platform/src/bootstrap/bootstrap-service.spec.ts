import { Controller, Get, INestApplication, Module, Param } from '@nestjs/common';

import { LoggingModule } from '@sm/logging';

import { listeningPort, startService } from './bootstrap-service';

@Controller('locations')
class EchoController {
  @Get(':locationId')
  echo(@Param('locationId') locationId: string) {
    return { locationId };
  }
}

@Module({
  imports: [LoggingModule.forRoot({ service: 'bootstrap-spec', level: 'silent' })],
  controllers: [EchoController],
})
class EchoModule {}

describe('startService', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await startService(EchoModule, { host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${listeningPort(app)}`;
  });

  afterAll(async () => {
    await app.close();
  });

  it('bounds slow clients: 30 s for headers and body, keep-alive past a balancer’s 60 s', () => {
    const server = app.getHttpServer();

    expect(server.headersTimeout).toBe(30_000);
    expect(server.requestTimeout).toBe(30_000);
    expect(server.keepAliveTimeout).toBe(65_000);
  });

  it('serves ordinary ids', async () => {
    const response = await fetch(`${baseUrl}/locations/SMsandboxLocation001`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ locationId: 'SMsandboxLocation001' });
  });

  it('refuses a NUL byte anywhere in the URL with a JSON 400, never a 5xx', async () => {
    for (const path of ['/locations/a%00b', '/locations/x?q=%00', '/locations/a%00%00']) {
      const response = await fetch(`${baseUrl}${path}`);

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ message: 'the URL contains a NUL byte' });
    }
  });
});
