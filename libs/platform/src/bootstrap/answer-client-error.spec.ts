import { connect } from 'node:net';
import { Writable } from 'node:stream';

import { Body, Controller, INestApplication, Module, Post } from '@nestjs/common';

import { LoggingModule } from '@sm/logging';

import { listeningPort, startService } from './bootstrap-service';

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown) {
    return { body };
  }
}

const logLines: string[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

@Module({
  imports: [LoggingModule.forRoot({ service: 'client-error-spec', level: 'debug', destination })],
  controllers: [EchoController],
})
class EchoModule {}

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  elapsedMs: number;
}

/** Writes `request` as is and reads until the server closes the connection. */
function sendRaw(port: number, request: string): Promise<RawAnswer> {
  const startedAt = Date.now();

  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    // A server that never answers fails the assertions instead of hanging the suite.
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const [head, body = ''] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, body, elapsedMs: Date.now() - startedAt });
    });
    socket.write(request);
  });
}

const HEADERS_MS = 400;
const REQUEST_MS = 900;

describe('refusals made by Node’s HTTP layer', () => {
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    app = await startService(EchoModule, {
      host: '127.0.0.1',
      port: 0,
      timeouts: { headersMs: HEADERS_MS, requestMs: REQUEST_MS },
    });
    port = listeningPort(app);
  });

  afterAll(async () => {
    await app.close();
  });

  it('still serves a well-formed request', async () => {
    const body = '{"a":1}';
    const answer = await sendRaw(
      port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );

    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({ body: { a: 1 } });
  });

  it('answers headers over the limit with 431 and a JSON body, then closes', async () => {
    const answer = await sendRaw(
      port,
      `GET /echo HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    );

    expect(answer.status).toBe(431);
    expect(answer.headers).toMatch(/\r\nConnection: close/i);
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      message: 'the request headers are larger than the server accepts',
    });
  });

  const malformed: Record<string, string> = {
    'Content-Length beside Transfer-Encoding':
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'a Content-Length that is not a number':
      'POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer at-secret-1\r\n' +
      'Content-Length: abc\r\n\r\n',
    'two different Content-Lengths':
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
    'a chunk size that is not hex':
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  };

  it.each(Object.entries(malformed))('answers %s with 400 and a JSON body', async (_, raw) => {
    const answer = await sendRaw(port, raw);

    expect(answer.status).toBe(400);
    expect(answer.headers).toMatch(/\r\nConnection: close/i);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.message).toMatch(/^malformed HTTP request/);
  });

  it('logs what was refused without any header value', async () => {
    await sendRaw(port, malformed['a Content-Length that is not a number']);

    expect(logLines.join('\n')).not.toContain('at-secret-1');
    const refusals = logLines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'HTTP request refused by the server');
    expect(refusals).toContainEqual(
      expect.objectContaining({ level: 'warn', status: 400, code: 'HPE_INVALID_CONTENT_LENGTH' }),
    );
  });

  it('logs a client that went away mid-body at debug, not as a refused request', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"a":');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.destroy();

    const entries = logLines.map((line) => JSON.parse(line));
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'debug', code: 'HPE_INVALID_EOF_STATE' }),
    );
    expect(entries).not.toContainEqual(
      expect.objectContaining({ level: 'warn', code: 'HPE_INVALID_EOF_STATE' }),
    );
  });

  it('answers headers that never finish with 408 once the headers timeout passes', async () => {
    const answer = await sendRaw(port, 'GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ');

    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 408,
      error: 'Request Timeout',
      message: 'the request was not received in time',
    });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(HEADERS_MS + 1_000);
  });

  it('cuts a stalled body off with 408 at the request timeout, not Node’s 300 s', async () => {
    const answer = await sendRaw(
      port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"a":',
    );

    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 408 });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(REQUEST_MS + 1_000);
  });
});
