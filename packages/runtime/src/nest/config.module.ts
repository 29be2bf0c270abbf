import { Global, Inject, Module, type DynamicModule } from '@nestjs/common';
import type { z } from 'zod';

/** Injection token of the app's validated config (`@InjectConfig() config: MyAppConfig`). */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injects the config given to ConfigModule.forRoot; type the parameter with the app's `z.infer` config type. */
export const InjectConfig = (): PropertyDecorator & ParameterDecorator => Inject(APP_CONFIG);

/**
 * The app's config as a global provider. main.ts loads and validates it once (loadConfig, which fails start-up
 * naming each bad variable) and hands the result in; the schema only ties the value's type to it, so a provider
 * never reads process.env itself.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot<S extends z.ZodType>(_schema: S, values: z.output<S>): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: values }], exports: [APP_CONFIG] };
  }
}
