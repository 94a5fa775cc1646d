import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { SharedConfig } from '@sm/config';
import { assertNoPendingMigrations, dataSourceOptions, DatabaseTimeouts } from '@sm/entities';

/** What a service's configuration says about its Postgres. */
export type DatabaseConfig = Pick<SharedConfig, 'DATABASE_URL'> & DatabaseTimeouts;

/** Postgres through TypeORM; the service refuses to boot while a migration is pending. */
@Module({})
export class DatabaseModule {
  static forRoot(config: DatabaseConfig): DynamicModule {
    const options = () => dataSourceOptions(config.DATABASE_URL, config);

    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: options,
          dataSourceFactory: async () => {
            const dataSource = await new DataSource(options()).initialize();
            await assertNoPendingMigrations(dataSource);

            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
