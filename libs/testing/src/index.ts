export * from './service-process';
export * from './test-database';
