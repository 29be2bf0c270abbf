// The ops console (packages/console): a static bundle served at /console. It reads only the public API, so serving
// it here adds no access: the page is the same reads an integrator can make, drawn for an operator.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Controller, Get, Module, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DomainError, InjectConfig } from '@tapbridge/runtime/nest';
import type { ApiGatewayConfig } from './config.js';

/** The part of Express's response used here (the gateway runs on platform-express; no @types/express needed). */
interface Response {
  headersSent: boolean;
  sendFile(file: string, options: { root: string; dotfiles: 'deny'; maxAge: string | number; immutable: boolean }, done: (err?: Error & { status?: number }) => void): void;
  status(code: number): Response;
  type(contentType: string): Response;
  json(body: unknown): void;
}

/** The console's build output: CONSOLE_DIR, else packages/console/dist as the workspace resolves it. */
export function consoleDir(config: Pick<ApiGatewayConfig, 'CONSOLE_DIR'>): string {
  if (config.CONSOLE_DIR) return path.resolve(config.CONSOLE_DIR);
  return path.join(path.dirname(createRequire(import.meta.url).resolve('@tapbridge/console/package.json')), 'dist');
}

@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  private readonly root: string;
  constructor(@InjectConfig() config: ApiGatewayConfig) {
    this.root = consoleDir(config);
  }

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  /** Assets by their hashed names; anything else is the page itself (its own links are query strings, not routes). */
  @Get('*path')
  file(@Param('path') segments: string[] | string, @Res() res: Response): void {
    const rel = (Array.isArray(segments) ? segments : [segments]).join('/');
    this.send(res, rel.startsWith('assets/') ? rel : 'index.html');
  }

  private send(res: Response, rel: string): void {
    if (!existsSync(path.join(this.root, 'index.html')))
      throw new DomainError('unavailable', `the console is not built (pnpm --filter @tapbridge/console build; looked in ${this.root})`, 503);
    // sendFile with a root refuses paths that climb out of it (403), so a crafted name cannot read other files.
    res.sendFile(rel, { root: this.root, dotfiles: 'deny', maxAge: rel.startsWith('assets/') ? '1y' : 0, immutable: rel.startsWith('assets/') }, (err?: Error & { status?: number }) => {
      if (err && !res.headersSent) res.status(err.status ?? 404).type('application/problem+json').json({ type: 'urn:tapbridge:problem:not_found', title: 'Not Found', status: err.status ?? 404, detail: `no console file ${rel}`, code: 'not_found' });
    });
  }
}

@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
