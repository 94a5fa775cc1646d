import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';

import { REDACTED_PATHS, withoutQueryValues } from './redaction';

export interface LoggerSettings {
  /** The service's name, on every line as `service`. */
  service: string;
  level: string;
  /** Where lines go; stdout unless given (tests read what a service would have written). */
  destination?: DestinationStream;
}

export function loggerOptions({ service, level }: LoggerSettings): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), log: withoutQueryValues },
  };
}

/** A plain pino logger, for code that runs outside a Nest container (CLIs, relays). */
export function createLogger(settings: LoggerSettings): Logger {
  return settings.destination
    ? pino(loggerOptions(settings), settings.destination)
    : pino(loggerOptions(settings));
}
