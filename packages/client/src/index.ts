// The typed client of the tapbridge public API: openapi-fetch over the types generated from the api-gateway's
// OpenAPI document (src/generated/schema.ts). Paths, parameters, bodies and answers are all checked by tsc.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';

export type { components, operations, paths } from './generated/schema.js';

type Schemas = components['schemas'];
export type Deposit = Schemas['DepositDto_Output'];
export type DepositPage = Schemas['DepositPageDto_Output'];
export type DepositAddress = Schemas['DepositAddressDto_Output'];
export type Withdrawal = Schemas['WithdrawalDto_Output'];
export type WithdrawalList = Schemas['WithdrawalListDto_Output'];
export type SigningSessionPage = Schemas['SigningSessionPageDto_Output'];
export type SigningSession = SigningSessionPage['sessions'][number];
export type ChainStatus = Schemas['ChainDto_Output'];
export type Reserves = Schemas['ReservesDto_Output'];
export type SignerSet = Schemas['SignerSetDto_Output'];
export type Fees = Schemas['FeesDto_Output'];
export type Pipeline = Schemas['PipelineDto_Output'];
export type Webhook = Schemas['WebhookDto_Output'];
export type WebhookDeliveries = Schemas['DeliveryListDto_Output'];

/** Every error answer: RFC 9457 problem details (application/problem+json). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  requestId?: string;
  errors?: Array<{ path: string; message: string; code: string }>;
}

export interface TapbridgeClientOptions {
  /** The gateway, e.g. `http://127.0.0.1:4000` (the devnet stack). */
  baseUrl: string;
  /** An API key (`tapbridge apikey create --scope webhooks:manage`), needed for webhooks only. */
  apiKey?: string;
  fetch?: typeof globalThis.fetch;
}

export type TapbridgeClient = Client<paths>;

/** `client.GET('/v1/deposits/{txid}/{vout}', { params: { path: { txid, vout } } })` → `{ data, error, response }`. */
export function createTapbridgeClient(o: TapbridgeClientOptions): TapbridgeClient {
  return createClient<paths>({
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.apiKey ? { headers: { 'x-api-key': o.apiKey } } : {}),
  });
}

/**
 * Checks a webhook delivery's `X-Tapbridge-Signature` (`t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`)
 * with Web Crypto, in constant time, refusing timestamps more than `toleranceSeconds` away from now.
 */
export async function verifyWebhookSignature(secret: string, rawBody: string, header: string, o: { nowSeconds?: number; toleranceSeconds?: number } = {}): Promise<boolean> {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const now = o.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(m[1])) > (o.toleranceSeconds ?? 300)) return false;
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const signature = Uint8Array.from(m[2]!.match(/../g)!.map((h) => parseInt(h, 16)));
  return crypto.subtle.verify('HMAC', key, signature, enc.encode(`${m[1]}.${rawBody}`));
}
