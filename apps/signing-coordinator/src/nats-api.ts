// The same API over NATS request/reply (rpc.signing.*), for services that do not speak HTTP to the coordinator.
import { RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import { ApiError, type CoordinatorApi } from './api.js';

async function remote<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw new RemoteError(err.code, err.message);
    throw err;
  }
}

export const NATS_API_SUBJECTS = {
  create: 'signing.signatures.create',
  get: 'signing.signatures.get',
  signers: 'signing.signers.list',
  custody: 'signing.custody.get',
} as const;

export function serveCoordinatorApi(messaging: Messaging, api: CoordinatorApi): Array<{ unsubscribe(): void }> {
  return [
    serveRequests(messaging, NATS_API_SUBJECTS.create, z.unknown(), (body) => remote(() => api.createSignature(body))),
    serveRequests(messaging, NATS_API_SUBJECTS.get, z.object({ id: z.string() }), ({ id }) => remote(() => api.signature(id))),
    serveRequests(messaging, NATS_API_SUBJECTS.signers, z.object({}).passthrough(), () => remote(() => api.signers())),
    serveRequests(messaging, NATS_API_SUBJECTS.custody, z.object({}).passthrough(), () => remote(() => api.custodyView())),
  ];
}
