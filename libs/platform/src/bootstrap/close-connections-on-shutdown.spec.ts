import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { connect, Socket } from 'node:net';

import { LoggingModule } from '@sm/logging';

import { listeningPort, startService } from './bootstrap-service';

@Controller('slow')
class SlowController {
  @Get()
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 400));

    return { done: true };
  }
}

@Module({
  imports: [LoggingModule.forRoot({ service: 'shutdown-spec', level: 'silent' })],
  controllers: [SlowController],
})
class SlowModule {}

/** Everything the server sends on the socket until it closes it. */
function readUntilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));

  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('a service shutting down with keep-alive connections open', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startService(SlowModule, { host: '127.0.0.1', port: 0 });
  });

  it('answers requests in flight with Connection: close and closes within a second', async () => {
    const port = listeningPort(app);
    const inFlight = connect(port, '127.0.0.1');
    await new Promise((resolve) => inFlight.once('connect', resolve));
    const answered = readUntilClosed(inFlight);
    inFlight.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    // Headers not yet complete when the shutdown starts: the request arrives while closing.
    const late = connect(port, '127.0.0.1');
    await new Promise((resolve) => late.once('connect', resolve));
    const lateAnswered = readUntilClosed(late);
    late.write('GET /slow HTTP/1.1\r\nHost: x\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const startedAt = Date.now();
    const closing = app.close();
    late.write('Connection: keep-alive\r\n\r\n');
    await closing;
    const [first, second] = await Promise.all([answered, lateAnswered]);

    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain('{"done":true}');
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second.toLowerCase()).toContain('connection: close');
  });
});
