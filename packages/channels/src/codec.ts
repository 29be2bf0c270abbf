// Persisting a party's channel state: JSON with bigints as decimal strings and bytes as hex, validated on read
// (a state file is input like any other: a truncated or edited one must fail loudly, not half-load).
import { z } from 'zod';
import { bytesToHex, hexToBytes } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';
import type { ChannelMessage, PartyState } from './state-machine.js';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes of lowercase hex`);
const sats = z.string().regex(/^(0|[1-9][0-9]*)$/, 'satoshis as a decimal string');
const stateNumber = z.number().int().min(0).max(2 ** 48 - 1);
const sheetSchema = z.object({ stateNumber, user: sats, custody: sats }).strict();
const revocationFields = { stateNumber, secret: hex(32), nextPoint: hex(33) };
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('proposal'), sheet: sheetSchema, signature: hex(64) }).strict(),
  z.object({ type: z.literal('acceptance'), stateNumber, signature: hex(64), revocation: z.object(revocationFields).strict() }).strict(),
  z.object({ type: z.literal('revocation'), ...revocationFields }).strict(),
]);
const partyStateSchema = z
  .object({
    version: z.literal(1),
    side: z.enum(['user', 'custody']),
    latest: z.object({ sheet: sheetSchema, counterpartySignature: hex(64) }).strict(),
    revokedBelow: stateNumber,
    counterpartyPoints: z.record(z.string().regex(/^(0|[1-9][0-9]*)$/), hex(33)),
    counterpartySecrets: z.object({ known: z.array(z.object({ index: z.string().regex(/^[0-9]+$/), secret: hex(32) }).strict().nullable()).length(49) }).strict(),
    highestSignedForCounterparty: stateNumber,
    pending: z.object({ role: z.enum(['proposer', 'receiver']), sheet: sheetSchema, awaiting: z.enum(['acceptance', 'revocation']) }).strict().optional(),
    lastSent: messageSchema.optional(),
  })
  .strict();

type Json = z.infer<typeof partyStateSchema>;
type SheetJson = z.infer<typeof sheetSchema>;

const sheetToJson = (s: PartyState['latest']['sheet']): SheetJson => ({ stateNumber: s.stateNumber, user: s.user.toString(), custody: s.custody.toString() });
const sheetFromJson = (s: SheetJson): PartyState['latest']['sheet'] => ({ stateNumber: s.stateNumber, user: BigInt(s.user), custody: BigInt(s.custody) });

function messageToJson(m: ChannelMessage): z.infer<typeof messageSchema> {
  if (m.type === 'proposal') return { type: 'proposal', sheet: sheetToJson(m.sheet), signature: bytesToHex(m.signature) };
  const rev = (r: { stateNumber: number; secret: Uint8Array; nextPoint: Uint8Array }) => ({ stateNumber: r.stateNumber, secret: bytesToHex(r.secret), nextPoint: bytesToHex(r.nextPoint) });
  if (m.type === 'acceptance') return { type: 'acceptance', stateNumber: m.stateNumber, signature: bytesToHex(m.signature), revocation: rev(m.revocation) };
  return { type: 'revocation', ...rev(m) };
}

function messageFromJson(m: z.infer<typeof messageSchema>): ChannelMessage {
  if (m.type === 'proposal') return { type: 'proposal', sheet: sheetFromJson(m.sheet), signature: hexToBytes(m.signature) };
  const rev = (r: { stateNumber: number; secret: string; nextPoint: string }) => ({ stateNumber: r.stateNumber, secret: hexToBytes(r.secret), nextPoint: hexToBytes(r.nextPoint) });
  if (m.type === 'acceptance') return { type: 'acceptance', stateNumber: m.stateNumber, signature: hexToBytes(m.signature), revocation: rev(m.revocation) };
  return { type: 'revocation', ...rev(m) };
}

export function encodePartyState(state: PartyState): string {
  const json: Json = {
    version: 1,
    side: state.side,
    latest: { sheet: sheetToJson(state.latest.sheet), counterpartySignature: bytesToHex(state.latest.counterpartySignature) },
    revokedBelow: state.revokedBelow,
    counterpartyPoints: Object.fromEntries(Object.entries(state.counterpartyPoints).map(([k, v]) => [k, bytesToHex(v)])),
    counterpartySecrets: state.counterpartySecrets,
    highestSignedForCounterparty: state.highestSignedForCounterparty,
    ...(state.pending ? { pending: { ...state.pending, sheet: sheetToJson(state.pending.sheet) } } : {}),
    ...(state.lastSent ? { lastSent: messageToJson(state.lastSent) } : {}),
  };
  return JSON.stringify(json);
}

export function decodePartyState(text: string): PartyState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ChannelError(`channel state is not JSON: ${(e as Error).message}`);
  }
  const parsed = partyStateSchema.safeParse(raw);
  if (!parsed.success) throw new ChannelError(`channel state is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const j = parsed.data;
  return {
    side: j.side,
    latest: { sheet: sheetFromJson(j.latest.sheet), counterpartySignature: hexToBytes(j.latest.counterpartySignature) },
    revokedBelow: j.revokedBelow,
    counterpartyPoints: Object.fromEntries(Object.entries(j.counterpartyPoints).map(([k, v]) => [Number(k), hexToBytes(v)])),
    counterpartySecrets: j.counterpartySecrets,
    highestSignedForCounterparty: j.highestSignedForCounterparty,
    ...(j.pending ? { pending: { ...j.pending, sheet: sheetFromJson(j.pending.sheet) } } : {}),
    ...(j.lastSent ? { lastSent: messageFromJson(j.lastSent) } : {}),
  };
}
