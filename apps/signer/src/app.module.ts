import { Module, type DynamicModule } from '@nestjs/common';
import { RuntimeModule } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import type { SignerProtocol } from '@tapbridge/signing';
import { SIGNER_PROTOCOL, SIGNER_SETTINGS, StatusController, type SignerSettings } from './status.controller.js';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime, protocol: SignerProtocol, settings: SignerSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [RuntimeModule.forRoot(runtime)],
      controllers: [StatusController],
      providers: [
        { provide: SIGNER_PROTOCOL, useValue: protocol },
        { provide: SIGNER_SETTINGS, useValue: settings },
      ],
    };
  }
}
