export * from './service-process';
export * from './test-database';
export * from './private-servers';
export * from './sandbox-oauth';
export * from './queue-keys';
