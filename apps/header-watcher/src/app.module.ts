import { Module, type DynamicModule } from '@nestjs/common';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime): DynamicModule {
    return { module: AppModule, imports: [RuntimeModule.forRoot(runtime)] };
  }
}
