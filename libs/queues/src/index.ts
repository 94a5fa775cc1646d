export * from './job-options';
export * from './job-payloads';
export * from './queue-names';
export * from './queues.module';
export * from './redis-connection';
export * from './webhook-event-types';
