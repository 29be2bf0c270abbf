// The read API over NATS request/reply (rpc.btc.headers.*), for services that ask rather than call HTTP
// (the api-gateway, operators' tools). Same validation and answers as REST (header-api.ts).
import { RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import { HeaderApiError, type HeaderApi } from './header-api.js';

export const NATS_API_SUBJECTS = {
  tip: 'btc.headers.tip',
  get: 'btc.headers.get',
  range: 'btc.headers.range',
  forks: 'btc.headers.forks',
  sync: 'btc.headers.sync',
} as const;

async function remote<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HeaderApiError) throw new RemoteError(err.code, err.message);
    throw err;
  }
}

const heightOrHash = z.union([z.number(), z.string()]);
const empty = z.object({}).passthrough();

export function serveHeaderApi(messaging: Messaging, api: HeaderApi): Array<{ unsubscribe(): void }> {
  return [
    serveRequests(messaging, NATS_API_SUBJECTS.tip, empty, () => remote(() => api.tip())),
    serveRequests(messaging, NATS_API_SUBJECTS.get, z.object({ heightOrHash }), ({ heightOrHash: key }) => remote(() => api.header(key))),
    serveRequests(messaging, NATS_API_SUBJECTS.range, z.object({ from: heightOrHash, to: heightOrHash }), ({ from, to }) => remote(() => api.range(from, to))),
    serveRequests(messaging, NATS_API_SUBJECTS.forks, empty, () => remote(() => api.forks())),
    serveRequests(messaging, NATS_API_SUBJECTS.sync, empty, () => remote(() => api.status())),
  ];
}
