// btc.header.* events derived from HeaderChain results, with ids that depend only on the chain's history, so
// re-processing the same headers after a crash yields the same ids (JetStream and inboxes drop the repeats).
import { bytesToHex, chainworkToHex, hashToHex, type AddResult, type HeaderEntry } from '@tapbridge/bitcoin';
import { btcHeaderConnected, btcHeaderDisconnected, type EventPayload } from '@tapbridge/messaging';

export type HeaderConnectedPayload = EventPayload<typeof btcHeaderConnected>;
export type HeaderDisconnectedPayload = EventPayload<typeof btcHeaderDisconnected>;

export type HeaderEvent =
  | { subject: 'btc.header.connected'; id: string; payload: HeaderConnectedPayload }
  | { subject: 'btc.header.disconnected'; id: string; payload: HeaderDisconnectedPayload };

/**
 * The id of a reorg: `<old tip hash>-<new tip hash>`. A reorg happens exactly when a header that did not exist
 * before makes a branch heavier than the tip, so the new tip is unique to it (and the old tip makes the id
 * readable). A header connected outside a reorg carries no reorgId, and its event id ends in `:initial`; one
 * that leaves and rejoins the best chain gets a new id each time, from the reorg that moved it.
 */
export function reorgId(oldTip: HeaderEntry, newTip: HeaderEntry): string {
  return `${oldTip.hash}-${newTip.hash}`;
}

function headerRef(entry: HeaderEntry, network: string) {
  return {
    height: entry.height,
    hash: entry.hash,
    prevHash: hashToHex(entry.header.prevHash),
    header: bytesToHex(entry.raw),
    chainwork: chainworkToHex(entry.chainwork),
    network,
  };
}

export function connectedEvent(entry: HeaderEntry, network: string, reorg?: string): HeaderEvent {
  const payload: HeaderConnectedPayload = { ...headerRef(entry, network), ...(reorg ? { reorgId: reorg } : {}) };
  return { subject: 'btc.header.connected', id: btcHeaderConnected.id(payload), payload };
}

export function disconnectedEvent(entry: HeaderEntry, network: string, reorg: string): HeaderEvent {
  const payload: HeaderDisconnectedPayload = { ...headerRef(entry, network), reorgId: reorg };
  return { subject: 'btc.header.disconnected', id: btcHeaderDisconnected.id(payload), payload };
}

/** Events of one HeaderChain.add: for a reorg, every disconnect (tip first) before every connect (ascending). */
export function eventsOf(result: AddResult, network: string): HeaderEvent[] {
  if (result.status === 'connected') return result.connected.map((e) => connectedEvent(e, network));
  if (result.status !== 'reorg') return [];
  const id = reorgId(result.disconnected[0]!, result.entry);
  return [
    ...result.disconnected.map((e) => disconnectedEvent(e, network, id)),
    ...result.connected.map((e) => connectedEvent(e, network, id)),
  ];
}
