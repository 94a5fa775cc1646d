export * from './config-error';
export * from './database-env';
export * from './env-fields';
export * from './load-config';
export * from './shared-env';
