/** DI token of the validated `SyncWorkerConfig`. */
export const SYNC_WORKER_CONFIG = Symbol('SYNC_WORKER_CONFIG');
