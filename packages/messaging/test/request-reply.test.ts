import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { uniquePrefix } from '@tapbridge/testing';
import { connectMessaging, NoRespondersError, RemoteError, request, RequestTimeoutError, serveRequests, type Messaging } from '../src/index.js';

let messaging: Messaging;
beforeAll(async () => {
  messaging = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix: uniquePrefix() });
});
afterAll(() => messaging.close());

const depositStatus = z.object({ txid: z.string().length(64) });
const answer = z.object({ status: z.enum(['pending', 'confirmed']), confirmations: z.number().int() });

describe('request/reply', () => {
  it('answers a valid query with a validated, typed response', async () => {
    const sub = serveRequests(messaging, 'deposit.status', depositStatus, async (q) => ({
      status: q.txid.startsWith('00') ? ('confirmed' as const) : ('pending' as const),
      confirmations: q.txid.startsWith('00') ? 6 : 0,
    }));
    const res = await request(messaging, 'deposit.status', { txid: '00'.repeat(32) }, { response: answer });
    expect(res).toEqual({ status: 'confirmed', confirmations: 6 });
    sub.unsubscribe();
  });

  it('turns a bad request and a handler error into typed remote errors', async () => {
    const sub = serveRequests(messaging, 'deposit.lookup', depositStatus, async () => {
      throw new RemoteError('not_found', 'no such deposit');
    });
    await expect(request(messaging, 'deposit.lookup', { txid: 'short' }, { response: answer })).rejects.toMatchObject({
      name: 'RemoteError',
      code: 'invalid_request',
    });
    await expect(request(messaging, 'deposit.lookup', { txid: 'ab'.repeat(32) }, { response: answer })).rejects.toMatchObject({
      code: 'not_found',
      message: 'no such deposit',
    });
    sub.unsubscribe();
  });

  it('reports no responders and timeouts distinctly', async () => {
    await expect(request(messaging, 'nobody.home', {}, { response: answer, timeoutMs: 500 })).rejects.toBeInstanceOf(NoRespondersError);
    const sub = serveRequests(messaging, 'slow.service', z.object({}), () => new Promise((r) => setTimeout(() => r({}), 2_000)));
    await expect(request(messaging, 'slow.service', {}, { response: z.object({}), timeoutMs: 200 })).rejects.toBeInstanceOf(RequestTimeoutError);
    sub.unsubscribe();
  });

  it('rejects a response that does not match the expected schema', async () => {
    const sub = serveRequests(messaging, 'wrong.shape', z.object({}), async () => ({ status: 'unknown' }));
    await expect(request(messaging, 'wrong.shape', {}, { response: answer })).rejects.toMatchObject({ code: 'invalid_response' });
    sub.unsubscribe();
  });
});
