import { Writable } from 'node:stream';

import { Controller, Get, INestApplication, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger, PinoLogger } from 'nestjs-pino';
import { storage as requestStorage } from 'nestjs-pino/storage';

import { LoggingModule } from './logging.module';

const lines: string[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

/** Answers the way the auth service's callback does when GHL cannot be reached. */
@Controller('oauth')
class CallbackController {
  constructor(private readonly logger: PinoLogger) {}

  @Get('callback')
  callback(@Query() query: { code?: string }) {
    this.logger.warn({ hasCode: Boolean(query.code) }, 'install refused');
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  }
}

/** Says whether the request logger's per-request store wraps the handler. */
@Controller()
class RequestStoreController {
  @Get('health/live')
  live() {
    return { hasRequestStore: requestStorage.getStore() !== undefined };
  }

  @Get('api/v1/contacts')
  contacts() {
    return { hasRequestStore: requestStorage.getStore() !== undefined };
  }
}

@Module({
  imports: [LoggingModule.forRoot({ service: 'logging-spec', level: 'info', destination })],
  controllers: [CallbackController, RequestStoreController],
})
class CallbackModule {}

describe('LoggingModule over HTTP', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create(CallbackModule, { bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('logs an OAuth callback without its code and state, and its error with its code', async () => {
    const response = await fetch(`${baseUrl}/oauth/callback?code=oauth-code-11&state=st-12`);
    expect(response.status).toBe(500);
    await new Promise((resolve) => setImmediate(resolve));

    const written = lines.join('\n');
    expect(written).not.toContain('oauth-code-11');
    expect(written).not.toContain('st-12');

    const entries = lines.map((line) => JSON.parse(line));
    const refused = entries.find((entry) => entry.msg === 'install refused');
    expect(refused.req.url).toBe('/oauth/callback?[redacted]');
    const failed = entries.find((entry) => entry.err?.message?.includes('ECONNREFUSED'));
    expect(failed.err.code).toBe('ECONNREFUSED');
  });

  it('runs health probes outside the request store, so they turn on no async hooks', async () => {
    const probe = await fetch(`${baseUrl}/health/live`);
    const read = await fetch(`${baseUrl}/api/v1/contacts`);

    expect(await probe.json()).toEqual({ hasRequestStore: false });
    expect(await read.json()).toEqual({ hasRequestStore: true });
  });
});
