export * from './create-logger';
export * from './logging.module';
export * from './redaction';
