import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DevnetChain } from '../devnet-chain.js';
import { RPC_ERROR, RpcError } from '../errors.js';
import { RPC_METHODS } from './methods.js';
import { RpcParams, toPositional } from './params.js';

export interface RpcServerOptions {
  port: number;
  host?: string;
  /** rpcuser / rpcpassword; the cookie is accepted as well, as in Core. */
  user?: string;
  password?: string;
  /** Where to write Core's `.cookie` ("__cookie__:<hex>"); omit for none. */
  cookieDir?: string;
  logger: Logger;
}

export interface RpcServerHandle {
  port: number;
  cookieFile: string | undefined;
  close(): Promise<void>;
}

const COOKIE_USER = '__cookie__';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

interface Reply {
  body: Record<string, unknown> | undefined;
  /** HTTP status a legacy (1.0) single request gets for this reply. */
  legacyStatus: number;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Core's HTTP status for legacy JSON-RPC errors (httprpc.cpp JSONErrorReply). */
function legacyStatusFor(code: number): number {
  if (code === RPC_ERROR.INVALID_REQUEST) return 400;
  if (code === RPC_ERROR.METHOD_NOT_FOUND) return 404;
  return 500;
}

function handleOne(node: DevnetChain, req: unknown, logger: Logger): Reply {
  const r = (typeof req === 'object' && req !== null && !Array.isArray(req) ? req : {}) as JsonRpcRequest;
  const v2 = r.jsonrpc === '2.0';
  const id = r.id === undefined ? null : r.id;
  const envelope = (payload: { result: unknown } | { error: { code: number; message: string } }): Record<string, unknown> =>
    v2 ? { jsonrpc: '2.0', ...payload, id } : { result: null, error: null, ...payload, id };
  try {
    if (typeof r.method !== 'string') throw new RpcError(RPC_ERROR.INVALID_REQUEST, 'Method must be a string');
    const method = Object.hasOwn(RPC_METHODS, r.method) ? RPC_METHODS[r.method] : undefined;
    if (!method) throw new RpcError(RPC_ERROR.METHOD_NOT_FOUND, 'Method not found');
    const result = method.handler(node, new RpcParams(toPositional(r.params, method.params), method.params));
    // JSON-RPC 2.0 notifications (no id) get no reply.
    if (v2 && r.id === undefined) return { body: undefined, legacyStatus: 204 };
    return { body: envelope({ result: result === undefined ? null : result }), legacyStatus: 200 };
  } catch (e) {
    const error = e instanceof RpcError ? { code: e.code, message: e.message } : { code: RPC_ERROR.MISC_ERROR, message: (e as Error).message };
    if (!(e instanceof RpcError)) logger.error({ err: e, method: r.method }, 'rpc handler failed');
    return { body: envelope({ error }), legacyStatus: legacyStatusFor(error.code) };
  }
}

/** Bitcoin Core's JSON-RPC over HTTP: POST only, basic auth (user/password or cookie), single or batch. */
export async function startRpcServer(node: DevnetChain, options: RpcServerOptions): Promise<RpcServerHandle> {
  let cookieFile: string | undefined;
  let cookiePassword: string | undefined;
  if (options.cookieDir !== undefined) {
    cookiePassword = crypto.randomBytes(32).toString('hex');
    cookieFile = path.join(options.cookieDir, '.cookie');
    fs.writeFileSync(cookieFile, `${COOKIE_USER}:${cookiePassword}`, { mode: 0o600 });
  }

  const authorized = (header: string | undefined): boolean => {
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep < 0) return false;
    const user = decoded.slice(0, sep);
    const password = decoded.slice(sep + 1);
    if (cookiePassword !== undefined && user === COOKIE_USER && safeEqual(password, cookiePassword)) return true;
    return options.user !== undefined && options.password !== undefined && safeEqual(user, options.user) && safeEqual(password, options.password);
  };

  const server = http.createServer((req, res) => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end('JSONRPC server handles only POST requests');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body) + '\n');
      };
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(500, { result: null, error: { code: RPC_ERROR.PARSE_ERROR, message: 'Parse error' }, id: null });
        return;
      }
      if (Array.isArray(parsed)) {
        // As Core (httprpc.cpp): each call answered in its own reply, errors included, always HTTP 200; no reply for
        // notifications, and 204 for a non-empty batch of notifications only.
        const replies = parsed.map((r) => handleOne(node, r, options.logger).body).filter((b) => b !== undefined);
        if (replies.length === 0 && parsed.length > 0) res.writeHead(204).end();
        else send(200, replies);
        return;
      }
      const reply = handleOne(node, parsed, options.logger);
      if (reply.body === undefined) res.writeHead(204).end();
      else send((parsed as JsonRpcRequest).jsonrpc === '2.0' ? 200 : reply.legacyStatus, reply.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ port, cookieFile }, 'JSON-RPC server listening');
  return {
    port,
    cookieFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        if (cookieFile !== undefined) fs.rmSync(cookieFile, { force: true });
      }),
  };
}
