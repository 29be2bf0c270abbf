import { Module, type DynamicModule } from '@nestjs/common';
import type { HeaderSync } from '@tapbridge/light-client';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { HeaderQueries } from './header-queries.js';
import { HEADER_SYNC, HeadersController } from './headers.controller.js';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, sync: HeaderSync): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [HeadersController],
      providers: [
        { provide: HEADER_SYNC, useValue: sync },
        { provide: HeaderQueries, useValue: new HeaderQueries(runtime.pool, runtime.schema) },
      ],
    };
  }
}
