import { Controller, Get, Header, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import type { Response } from 'express';
import { runChecks, type HealthCheck } from '../health.js';
import { collectDefaultMetrics, renderMetrics } from '../metrics.js';

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** Liveness says the process runs; readiness says it can do its work (Postgres, NATS, Redis reachable). */
@Controller('health')
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() res: Response) {
    const report = await runChecks(this.checks);
    res.status(report.ready ? 200 : 503).json(report);
  }
}

@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() res: Response) {
    const { contentType, body } = await renderMetrics();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  }
}

@Module({})
export class ObservabilityModule {
  /** `checks` is a token or factory-provided list so apps can build checks from their own connections. */
  static forRoot(options: { checks: { inject: Array<string | symbol | (abstract new (...args: never[]) => unknown)>; useFactory: (...deps: never[]) => HealthCheck[] } }): DynamicModule {
    collectDefaultMetrics();
    return {
      module: ObservabilityModule,
      controllers: [HealthController, MetricsController],
      providers: [{ provide: HEALTH_CHECKS, inject: options.checks.inject, useFactory: options.checks.useFactory }],
      exports: [HEALTH_CHECKS],
    };
  }
}
