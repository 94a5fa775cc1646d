import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { assertNoPendingMigrations, dataSourceOptions } from '@sm/entities';

/** Postgres through TypeORM; the service refuses to boot while a migration is pending. */
@Module({})
export class DatabaseModule {
  static forRoot(settings: { databaseUrl: string }): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(settings.databaseUrl),
          dataSourceFactory: async () => {
            const dataSource = await new DataSource(
              dataSourceOptions(settings.databaseUrl),
            ).initialize();
            await assertNoPendingMigrations(dataSource);

            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
