import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EvmEngine } from '../engine.js';
import { RpcErrorCode } from './errors.js';
import { JsonRpcHandler, type RpcConnection, type RpcHandlerOptions } from './handler.js';

export interface JsonRpcServerOptions {
  engine: EvmEngine;
  /** 0 picks a free port. Default 8545. */
  port?: number;
  /** Default 127.0.0.1: exposing the node is a decision, not a default. */
  host?: string;
  rpc?: RpcHandlerOptions;
  /** Told when a WebSocket consumer is disconnected for not reading (logs, metrics). */
  onSlowConsumer?: (info: { bufferedBytes: number; subscriptions: number }) => void;
}

/** Close code for a consumer dropped because its send buffer overflowed (RFC 6455 1008: policy violation). */
export const WS_CLOSE_SLOW_CONSUMER = 1008;
/** How long a dropped consumer gets to take the close frame before its socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

export interface JsonRpcServer {
  handler: JsonRpcHandler;
  port: number;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

const JSON_HEADERS = {
  'content-type': 'application/json',
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type',
  'access-control-allow-methods': 'POST, OPTIONS',
};

/**
 * Serves the JSON-RPC handler over HTTP POST and WebSocket on one port (WebSocket adds eth_subscribe).
 * Oversized bodies are cut off while reading and answered with HTTP 413; the server keeps serving.
 */
export async function startJsonRpcServer(options: JsonRpcServerOptions): Promise<JsonRpcServer> {
  const handler = new JsonRpcHandler(options.engine, options.rpc);
  // Calls will come: load the call workers while the server starts rather than on the first eth_call.
  void options.engine.warmUp().catch(() => undefined);
  const maxBytes = handler.limits.maxRequestBytes;

  const server = http.createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, JSON_HEADERS).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { ...JSON_HEADERS, allow: 'POST, OPTIONS' }).end(JSON.stringify(rpcError(RpcErrorCode.InvalidRequest, 'JSON-RPC needs POST')));
      return;
    }
    const tooLarge = () => {
      res.writeHead(413, { ...JSON_HEADERS, connection: 'close' });
      res.end(JSON.stringify(rpcError(RpcErrorCode.InvalidRequest, `request too large: more than ${maxBytes} bytes`)));
      req.resume(); // drain quietly; the connection closes after the response
    };
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let rejected = false;
    req.on('data', (chunk: Buffer) => {
      if (rejected) return;
      size += chunk.length;
      if (size > maxBytes) {
        rejected = true;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (rejected) return;
      handler
        .handle(Buffer.concat(chunks).toString('utf8'))
        .then((body) => {
          res.writeHead(200, JSON_HEADERS).end(body ?? '');
        })
        .catch((err: unknown) => {
          res.writeHead(500, JSON_HEADERS).end(JSON.stringify(rpcError(RpcErrorCode.InternalError, `internal error: ${(err as Error).message}`)));
        });
    });
  });

  // Longer than the usual client pool idle timeouts, so a client never reuses a socket the server just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const wss = new WebSocketServer({ server, maxPayload: maxBytes });
  const maxBuffered = handler.limits.maxWsBufferedBytes;
  wss.on('connection', (socket: WebSocket) => {
    let dropped = false;
    // A reader that stops makes every notification pile up in this process; past the bound it is cut off.
    const send = (message: string) => {
      if (dropped || socket.readyState !== socket.OPEN) throw new Error('socket closed');
      socket.send(message);
      if (socket.bufferedAmount > maxBuffered) {
        dropped = true;
        options.onSlowConsumer?.({ bufferedBytes: socket.bufferedAmount, subscriptions: handler.subscriptionCount(connection) });
        handler.closeConnection(connection);
        socket.close(WS_CLOSE_SLOW_CONSUMER, `send buffer over ${maxBuffered} bytes: reading too slowly`);
        // The close frame waits behind the unread data; a reader that never reads is not waited for.
        setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
      }
    };
    const connection: RpcConnection = { send };
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      handler
        .handle(text, connection)
        .then((reply) => {
          if (reply !== undefined && !dropped && socket.readyState === socket.OPEN) send(reply);
        })
        .catch(() => socket.close(1011, 'internal error'));
    });
    socket.on('close', () => handler.closeConnection(connection));
    socket.on('error', () => handler.closeConnection(connection));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8545, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    handler,
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    async close() {
      handler.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', id: null, error: { code, message } };
}
