export * from './bootstrap/bootstrap-service';
export * from './bootstrap/instance-identity';
export * from './database/database.module';
export * from './health/health.controller';
export * from './health/health.module';
export * from './health/redis.health';
export * from './bootstrap/run-service';
export * from './http/hot-route';
