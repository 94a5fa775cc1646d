import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Options } from 'pino-http';

import { LoggerSettings, loggerOptions } from './create-logger';
import { loggableUrl } from './redaction';

/**
 * Health probes skip the request logger altogether. They are never logged (see `autoLogging`),
 * and its middleware runs each request inside an AsyncLocalStorage: the first `run` turns on
 * Node 20's async hooks for the rest of the process, so a pod's first probe made every promise
 * of every job pay an init hook (about 4 % of a sync worker's CPU in the sync bench).
 */
const UNLOGGED_ROUTES = [{ path: 'health/*probe', method: RequestMethod.ALL }];

/** Structured JSON logs for a Nest service; HTTP requests are logged without query strings. */
@Module({})
export class LoggingModule {
  static forRoot(settings: LoggerSettings): DynamicModule {
    const options = httpLoggerOptions(settings);

    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: settings.destination ? [options, settings.destination] : options,
          exclude: UNLOGGED_ROUTES,
        }),
      ],
    };
  }
}

function httpLoggerOptions(settings: LoggerSettings): Options {
  return {
    ...loggerOptions(settings),
    autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';

      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, url: loggableUrl(req.url) }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  };
}
