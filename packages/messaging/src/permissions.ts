import { STREAMS, type StreamName } from './catalog.js';

/**
 * Who may say what on NATS: the one source of truth for the server's per-user publish/subscribe permissions
 * (`tapbridge nats config` renders them) and for the streams each service creates at start-up.
 *
 * Subjects here are unprefixed (`btc.header.>`); the deployment's STREAM_PREFIX is put in front when rendered.
 * Everything not listed is denied. Replies to requests a service serves go through `allow_responses` (one reply to
 * the inbox of a request it actually received), so a responder never gets a general right to publish on inboxes;
 * each identity has its own inbox prefix (`_INBOX.<identity>`), so no one can read another's replies.
 */
export interface ServiceRole {
  /** Event subjects it publishes (through its outbox relay) into JetStream. */
  publishes: readonly string[];
  /** Streams and filters it consumes with durable pull consumers (dead letters go to `dlq.>`). */
  consumes: ReadonlyArray<{ stream: StreamName; subject: string }>;
  /** Core NATS subjects it sends requests to (request/reply; the answer comes to its own inbox). */
  requests: readonly string[];
  /** Core NATS subjects it subscribes to: requests it answers and broadcasts it listens to. */
  serves: readonly string[];
  /** Core NATS subjects it publishes without expecting an answer. */
  broadcasts: readonly string[];
  /** Whether it may create and update the JetStream streams it uses (every service but the signers). */
  managesStreams: boolean;
}

const none = [] as const;

/** The services of the stack. Signers are one role per index (`signer-<i>`), built by {@link signerRole}. */
export const SERVICE_ROLES = {
  'header-watcher': {
    publishes: ['btc.header.connected', 'btc.header.disconnected'],
    consumes: none,
    requests: none,
    serves: ['rpc.btc.headers.>'],
    broadcasts: none,
    managesStreams: true,
  },
  'deposit-indexer': {
    publishes: ['deposit.confirmed', 'deposit.reorged', 'deposit.reclaimed', 'deposit.swept'],
    consumes: [{ stream: 'BTC', subject: 'btc.header.>' }],
    // rpc.evm.deposits.state: a confirmed deposit the L2 holds for capacity is shown as held_capacity.
    requests: ['rpc.btc.headers.>', 'rpc.evm.deposits.state'],
    // The sweep-coordinator asks how to spend a deposit and for the custody UTXO set.
    serves: ['rpc.deposits.>'],
    broadcasts: none,
    managesStreams: true,
  },
  'evm-gateway': {
    publishes: ['withdrawal.requested'],
    // Deposits to mint; stake.capacity (mints wait for capacity); stake.system.call and channel.system.call (applied as system calls).
    consumes: [{ stream: 'DEPOSIT', subject: 'deposit.>' }, { stream: 'STAKE', subject: 'stake.>' }, { stream: 'CHANNEL', subject: 'channel.system.call' }],
    // Checks deposit merkle proofs against the watcher's header chain, and that deposits pay our custody (issue 13).
    requests: ['rpc.btc.headers.>', 'rpc.signing.custody.get', 'rpc.stake.capacity.get'],
    // The L2 supply for the sweep-coordinator's proof of reserves.
    serves: ['rpc.evm.>'],
    broadcasts: none,
    managesStreams: true,
  },
  'signing-coordinator': {
    publishes: ['signing.misbehaviour'],
    // stake.epoch.started: custody per epoch (issue 11 rotation, CUSTODY_ROTATION).
    consumes: [{ stream: 'STAKE', subject: 'stake.epoch.started' }],
    // The signing protocol: only the coordinator asks signers anything.
    requests: ['frost.signer.*'],
    serves: ['rpc.signing.>', 'frost.announce'],
    broadcasts: none,
    managesStreams: true,
  },
  'sweep-coordinator': {
    publishes: ['withdrawal.paid'],
    consumes: [
      { stream: 'WITHDRAWAL', subject: 'withdrawal.requested' },
      { stream: 'DEPOSIT', subject: 'deposit.>' },
      { stream: 'BTC', subject: 'btc.header.>' },
    ],
    // rpc.evm.deposits.state: with capacity enforced only minted deposits are swept (a held one stays reclaimable).
    requests: ['rpc.signing.signatures.create', 'rpc.signing.signatures.get', 'rpc.signing.custody.get', 'rpc.signing.signers.list', 'rpc.btc.headers.>', 'rpc.deposits.deposit.get', 'rpc.deposits.custody.utxos', 'rpc.evm.supply.get', 'rpc.evm.deposits.state'],
    serves: ['rpc.sweeps.>'],
    broadcasts: none,
    managesStreams: true,
  },
  'stake-accounting': {
    publishes: ['stake.capacity', 'stake.epoch.started', 'stake.system.call'],
    // Epochs follow Bitcoin blocks; slashes start from the coordinator's misbehaviour reports (proof required).
    consumes: [
      { stream: 'BTC', subject: 'btc.header.>' },
      { stream: 'SIGNING', subject: 'signing.misbehaviour' },
    ],
    // What the bridge owes (the L2 supply) for capacity; the signers' measured uptime for rewards.
    requests: ['rpc.evm.supply.get', 'rpc.signing.uptime.get'],
    serves: ['rpc.stake.>'],
    broadcasts: none,
    managesStreams: true,
  },
  'channel-service': {
    publishes: ['channel.opened', 'channel.updated', 'channel.system.call', 'channel.closing', 'channel.closed'],
    consumes: none,
    // Custody's group key and its half of every channel update (ROAST under the channel policy); whether the L2
    // applied a return's burn before custody signs it.
    requests: ['rpc.signing.custody.get', 'rpc.signing.signatures.create', 'rpc.signing.signatures.get', 'rpc.evm.system_call.get'],
    // The signers' channel policy reads the ledger here.
    serves: ['rpc.channels.>'],
    broadcasts: none,
    managesStreams: true,
  },
  'api-gateway': {
    publishes: none,
    // Webhooks: deposit and withdrawal status changes, turned into deliveries once per event.
    consumes: [
      { stream: 'DEPOSIT', subject: 'deposit.>' },
      { stream: 'WITHDRAWAL', subject: 'withdrawal.>' },
    ],
    // Every read of the public API, from the service that owns the data (apps/api-gateway UPSTREAM_SUBJECTS).
    requests: [
      'rpc.btc.headers.tip', 'rpc.btc.headers.sync', 'rpc.deposits.deposit.get', 'rpc.deposits.deposit.register', 'rpc.deposits.deposit.list',
      'rpc.sweeps.withdrawal.get', 'rpc.sweeps.withdrawal.list', 'rpc.sweeps.withdrawal.by_status', 'rpc.sweeps.reserves.get', 'rpc.sweeps.status.get',
      'rpc.signing.custody.get', 'rpc.signing.signers.list', 'rpc.signing.sessions.list', 'rpc.evm.chain.get', 'rpc.evm.supply.get', 'rpc.stake.capacity.get',
      'rpc.stake.signers.list', 'rpc.stake.epochs.current',
    ],
    // Live status (Server-Sent Events): every replica listens to the events as they are published.
    serves: ['deposit.>', 'withdrawal.>'],
    broadcasts: none,
    managesStreams: true,
  },
} as const satisfies Record<string, ServiceRole>;

export type ServiceName = keyof typeof SERVICE_ROLES;

/** Signer `index` answers the coordinator on its own subject only and announces its host key. */
export function signerRole(index: number): ServiceRole {
  if (!Number.isInteger(index) || index < 1) throw new RangeError(`signer index must be a positive integer, got ${index}`);
  // rpc.channels.ledger.get: the channel policy checks custody's half of a channel update against the channel ledger.
  // rpc.stake.epochs.current: with SIGNER_PARTICIPANTS_FROM=registry a DKG must name the epoch's set (issue 11).
  return { publishes: none, consumes: none, requests: ['rpc.channels.ledger.get', 'rpc.stake.epochs.current'], serves: [`frost.signer.${index}`], broadcasts: ['frost.announce'], managesStreams: false };
}

/** The NATS identity (user name) of a service process: its app name, or `signer-<i>` for signer i. */
export function natsIdentity(service: string, instance?: string): string {
  return instance ? `${service}-${instance}` : service;
}

/** The role of an identity, or undefined for one the permissions do not know (ad-hoc tools and tests). */
export function roleOf(identity: string): ServiceRole | undefined {
  const signer = /^signer-([1-9][0-9]*)$/.exec(identity);
  if (signer) return signerRole(Number(signer[1]));
  return (SERVICE_ROLES as Record<string, ServiceRole>)[identity];
}

/** Every identity of a stack with `signerCount` signers, in a stable order. */
export function stackIdentities(signerCount: number): string[] {
  return [...Object.keys(SERVICE_ROLES), ...Array.from({ length: signerCount }, (_, i) => `signer-${i + 1}`)];
}

/** The streams a role creates/updates at start-up: those it publishes into or consumes (and DLQ if it consumes). */
export function streamsOf(role: ServiceRole): Array<StreamName | 'DLQ'> {
  if (!role.managesStreams) return [];
  const out = new Set<StreamName | 'DLQ'>();
  for (const s of role.publishes) out.add(streamOfSubject(s));
  for (const c of role.consumes) out.add(c.stream);
  if (role.consumes.length > 0) out.add('DLQ');
  return [...out];
}

function streamOfSubject(subject: string): StreamName {
  const root = subject.split('.')[0];
  for (const [name, subjects] of Object.entries(STREAMS) as Array<[StreamName, readonly string[]]>) {
    if (subjects.some((s) => s.split('.')[0] === root)) return name;
  }
  throw new Error(`no stream holds ${subject}`);
}

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  allowResponses: boolean;
}

/** Inbox prefix of an identity: its replies arrive under it, and only it may subscribe there. */
export function inboxPrefix(identity: string): string {
  return `_INBOX.${identity}`;
}

/**
 * The concrete NATS permissions of `identity` for the given stream prefixes (a deployment has one; a test server
 * may serve several runs). JetStream rights are as narrow as the client needs: account info, its own streams'
 * info/create/update, consumers, pulls and acks on the streams it consumes, and dead letters.
 */
export function natsPermissions(identity: string, role: ServiceRole, prefixes: readonly string[]): NatsPermissions {
  const publish: string[] = ['$JS.API.INFO'];
  const subscribe: string[] = [`${inboxPrefix(identity)}.>`];
  for (const prefix of prefixes) {
    const p = (s: string) => `${prefix}.${s}`;
    const stream = (name: StreamName | 'DLQ') => `${prefix.toUpperCase()}_${name}`;
    for (const name of streamsOf(role)) {
      for (const op of ['INFO', 'CREATE', 'UPDATE']) publish.push(`$JS.API.STREAM.${op}.${stream(name)}`);
    }
    publish.push(...role.publishes.map(p), ...role.requests.map(p), ...role.broadcasts.map(p));
    for (const c of role.consumes) {
      const s = stream(c.stream);
      publish.push(`$JS.API.CONSUMER.INFO.${s}.>`, `$JS.API.CONSUMER.CREATE.${s}.>`, `$JS.API.CONSUMER.DURABLE.CREATE.${s}.>`, `$JS.API.CONSUMER.MSG.NEXT.${s}.>`, `$JS.ACK.${s}.>`);
    }
    if (role.consumes.length > 0) publish.push(p('dlq.>'));
    subscribe.push(...role.serves.map(p));
  }
  return { publish: unique(publish), subscribe: unique(subscribe), allowResponses: role.serves.length > 0 };
}

/** Operators and test harnesses: every subject (their password is the most sensitive one). */
export const ADMIN_IDENTITY = 'admin';

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
