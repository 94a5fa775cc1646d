export * from './free-port';
export * from './service-process';
export * from './test-database';
export * from './private-servers';
export * from './postgres-relay';
export * from './sandbox-oauth';
export * from './queue-keys';
export * from './webhook-endpoint';
