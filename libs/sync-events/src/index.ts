export * from './sync-completed.consumer';
export * from './sync-completed.event';
export * from './sync-completed.schema';
