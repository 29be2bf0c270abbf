import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Global, Module, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ThrottlerModule } from '@nestjs/throttler';
import type { NextFunction, Request, Response } from 'express';
import { ObservabilityModule } from '@tapbridge/observability/nest';
import { histogram, type Logger } from '@tapbridge/observability';
import type { ServiceRuntime } from '../runtime.js';
import { API_KEY_HEADER, ApiKeyGuard } from './api-key.guard.js';
import { buildOpenApiDocument } from './openapi.js';
import { ProblemFilter } from './problem.filter.js';
import { RpcServer } from './rpc.server.js';
import { RUNTIME } from './runtime-token.js';
import { RateLimitGuard, RedisThrottlerStorage, throttlerOptions } from './throttle.js';
import { ZodSerializerInterceptor, ZodValidationPipe } from './zod.js';

export { RUNTIME };

const httpDuration = histogram('tapbridge_http_request_duration_seconds', 'HTTP requests by route and status', ['method', 'route', 'status'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

/**
 * Makes the process's ServiceRuntime injectable everywhere (`@Inject(RUNTIME)`), with health and metrics routes, rate
 * limits on every route (per client address, counted in Redis so they hold across replicas), the API-key guard
 * behind `@RequireScope`, and for REST and RPC alike: the zod validation pipe, the @ZodResponse serializer and the
 * problem+json exception filter (see NEST.md).
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(runtime: ServiceRuntime): DynamicModule {
    const storage = new RedisThrottlerStorage(runtime.redis, `${runtime.options.streamPrefix}:throttle:${runtime.options.service}`);
    return {
      module: RuntimeModule,
      imports: [
        ObservabilityModule.forRoot({ checks: { inject: [], useFactory: () => runtime.checks() } }),
        ThrottlerModule.forRoot(throttlerOptions(runtime.http, storage)),
      ],
      providers: [
        { provide: RUNTIME, useValue: runtime },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_PIPE, useClass: ZodValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: ZodSerializerInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
        ApiKeyGuard,
      ],
      exports: [RUNTIME, ApiKeyGuard],
    };
  }
}

class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) { this.logger.info({ context }, String(message)); }
  error(message: unknown, trace?: string, context?: string) { this.logger.error({ context, trace }, String(message)); }
  warn(message: unknown, context?: string) { this.logger.warn({ context }, String(message)); }
  debug(message: unknown, context?: string) { this.logger.debug({ context }, String(message)); }
  verbose(message: unknown, context?: string) { this.logger.trace({ context }, String(message)); }
}

export interface BootstrapOptions {
  /** The app's root module: a class, or the DynamicModule of `AppModule.forRoot(config, runtime)`. */
  module: Type<unknown> | DynamicModule;
  runtime: ServiceRuntime;
  port: number;
  host?: string;
  title: string;
  description?: string;
  /**
   * Runs after the HTTP server listens. Prefer OnApplicationBootstrap in a provider: kept for apps not yet moved to
   * lifecycle hooks.
   */
  onListening?: (app: INestApplication) => Promise<void> | void;
  /**
   * A public OpenAPI document besides /docs-json: served at `jsonPath` (e.g. `v1/openapi.json`, with a UI at
   * `uiPath`), built from the same document and passed through `transform` (e.g. to keep only the public routes).
   */
  openApi?: { jsonPath: string; uiPath: string; transform?: (doc: OpenAPIObject) => OpenAPIObject };
  /** Runs first on shutdown. Prefer OnApplicationShutdown in a provider: kept for apps not yet moved to it. */
  onShutdown?: () => Promise<void> | void;
}

/**
 * Starts a service: JSON logs with request ids, OpenAPI at /docs (JSON at /docs-json), health and metrics, the
 * app's @MessagePattern handlers on rpc.* (RpcServer over the runtime's NATS connection), and a graceful shutdown on
 * SIGTERM/SIGINT. Start: module init and OnApplicationBootstrap hooks (providers start their loops), RPC, then
 * HTTP. Shutdown: app.close() (OnModuleDestroy, BeforeApplicationShutdown, HTTP and RPC stop taking work,
 * OnApplicationShutdown: providers drain their loops), then the runtime (consumers finish, connections close), exit 0.
 * This is enableShutdownHooks() with the runtime closed last and a clean exit code.
 */
export async function bootstrapService(o: BootstrapOptions): Promise<INestApplication> {
  const logger = o.runtime.logger;
  const http = o.runtime.http;
  // abortOnError false: a start-up failure (a factory provider, an onApplicationBootstrap hook) rejects here instead of
  // Nest's own process.exit(1), so the app's main logs it as its fatal 'start-up failed' line and exits 1 itself.
  const app = await NestFactory.create<NestExpressApplication>(o.module, { logger: new PinoNestLogger(logger), bodyParser: false, abortOnError: false });
  // Limits and timeouts are set here, from config, never left to the defaults of Express and Node.
  app.set('trust proxy', http.trustProxyHops);
  app.useBodyParser('json', { limit: http.bodyLimitBytes });
  app.useBodyParser('urlencoded', { limit: http.bodyLimitBytes, extended: false });
  const server = app.getHttpServer() as Server;
  server.requestTimeout = http.requestTimeoutMs;
  server.headersTimeout = Math.min(http.headersTimeoutMs, http.requestTimeoutMs);
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  // No CORS headers unless origins are configured: browsers then refuse cross-origin reads and preflights.
  if (http.corsOrigins.length > 0) {
    app.enableCors({
      origin: http.corsOrigins,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['content-type', 'authorization', API_KEY_HEADER, 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Label by route pattern, not path, so ids in URLs do not explode the series count.
      const route = (req.route as { path?: string } | undefined)?.path;
      httpDuration.observe({ method: req.method, route: route ? `${req.baseUrl}${route}` : 'unmatched', status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
      if (req.path.startsWith('/health') || req.path === '/metrics') return;
      logger.info({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });
  const document = () => buildOpenApiDocument(app, { title: o.title, description: o.description });
  SwaggerModule.setup('docs', app, document);
  if (o.openApi) {
    const { jsonPath, uiPath, transform = (d: OpenAPIObject) => d } = o.openApi;
    SwaggerModule.setup(uiPath, app, () => transform(document()), { jsonDocumentUrl: jsonPath, yamlDocumentUrl: `${jsonPath}.yaml` });
  }
  // inheritAppConfig: RPC handlers get the same global pipe, filter, interceptors and guards as REST routes.
  app.connectMicroservice({ strategy: new RpcServer(o.runtime.messaging) }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
  await app.listen(o.port, o.host ?? http.host);
  logger.info({ port: o.port, host: o.host ?? http.host }, `${o.title} listening`);
  await o.onListening?.(app);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutdown requested');
    try {
      await o.onShutdown?.();
      await app.close();
      await o.runtime.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return app;
}
