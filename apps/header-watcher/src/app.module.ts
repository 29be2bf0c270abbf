import { Module, type DynamicModule } from '@nestjs/common';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { HeaderApi } from './header-api.js';
import { HeadersController } from './headers.controller.js';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, api: HeaderApi): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [HeadersController],
      providers: [{ provide: HeaderApi, useValue: api }],
    };
  }
}
