// docker-compose.yml and the stack script (scripts/stack.sh, scripts/stack-services.sh) run the same devnet: the
// same services, and each service configured the same once its own config loader has read the environment, apart
// from what differs by nature between containers and local processes (listed below, with the reason).
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@tapbridge/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCompose, secretFile, serviceEnv, type ComposeFile, type ComposeService } from './support/compose.js';
import { configSchema } from './support/config-schemas.js';
import { signerWrapperEnv } from './support/kubernetes.js';
import { repoRoot, serviceApps } from './support/paths.js';
import { STACK_EXPORTS, stackServices, STUB_CUSTODY, type StackService } from './support/stack-script.js';

/** Compose services that are the environment, not the devnet's processes: the stack script's local servers and steps. */
// stake-bond is the stack script's bond loop (scripts/stack-services.sh) as a one-shot container.
const COMPOSE_INFRASTRUCTURE = ['postgres', 'db-init', 'nats', 'redis', 'migrate', 'stake-bond', 'prometheus', 'grafana'];

/** Settings that differ by nature between containers and local processes; each compared as far as it can be. */
const COMPARED_AS: Record<string, (value: unknown) => unknown> = {
  // Another host in each; the database itself must be the same.
  DATABASE_URL: (v) => new URL(String(v)).pathname,
  // Where the servers run.
  NATS_URL: () => 'server',
  // The same NATS user (the service's identity), its password handed over differently: compose as NATS_PASSWORD,
  // the stack as a file in .devnet/nats/users (generated per devnet).
  NATS_PASSWORD: () => 'identity',
  NATS_CREDENTIALS_DIR: () => 'identity',
  REDIS_URL: () => 'server',
  // The stack binds loopback, containers every interface of their own network.
  HTTP_HOST: () => 'interface',
  RPC_HOST: () => 'interface',
  // Same kinds of sources (bitcoind RPC and Esplora) on other hosts; the stack reads Core's cookie, compose a password.
  BTC_SOURCES: (v) => (v as Array<{ kind: string }> | undefined)?.map((s) => s.kind).sort(),
  EVM_RPC_URL: (v) => (v === undefined ? undefined : new URL(String(v)).port),
  // Folders: the checkout's .devnet/ and the containers' volumes.
  SIGNER_DATA_DIR: () => 'folder',
  EVM_DATA_DIR: () => 'folder',
  // The stack pins every host key before anything starts; compose leaves them unset (regtest trust on first use)
  // unless .env sets them, because it cannot run a step between two containers' starts.
  COORDINATOR_PUBKEY: () => 'pins',
  SIGNER_HOST_PUBKEYS: () => 'pins',
};

const appOfCommand = (command: string[] | string | undefined): string | undefined => {
  const text = Array.isArray(command) ? command.join(' ') : (command ?? '');
  if (/(^|\s)tapbridge-signer(\s|$)/.test(text)) return 'signer';
  return /apps\/([a-z0-9-]+)\/dist\/main\.js/.exec(text)?.[1];
};

/** The environment a compose service's process gets, after its command's own steps (secret files, custody). */
function composeProcessEnv(compose: ComposeFile, service: ComposeService): Record<string, string> {
  // Compose passes `VAR: ""` as set-but-empty; the services (loadConfig) and the shell steps read that as unset.
  let env = Object.fromEntries(Object.entries(serviceEnv(service)).filter(([, v]) => v !== ''));
  const command = Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
  for (const m of command.matchAll(/([A-Z_][A-Z0-9_]*)=\$\(cat (\/run\/secrets\/[a-z0-9_-]+)\)/g)) env[m[1]!] = secretFile(compose, service, m[2]!);
  if (command.includes('custody-env.mjs') && env.CUSTODY_GROUP_KEY === undefined) env = { ...env, CUSTODY_GROUP_KEY: STUB_CUSTODY.groupKey, CUSTODY_ADDRESS: STUB_CUSTODY.address };
  if (appOfCommand(service.command) === 'signer') env = signerWrapperEnv(env, (file) => secretFile(compose, service, file));
  return env;
}

describe('docker-compose.yml and the stack script', () => {
  let compose: ComposeFile;
  let stack: StackService[];
  beforeAll(() => {
    compose = loadCompose();
    stack = stackServices();
  });
  const composeDevnet = () => Object.keys(compose.services).filter((n) => !COMPOSE_INFRASTRUCTURE.includes(n));

  it('run the same services, every app among them', () => {
    expect(composeDevnet().sort()).toEqual(stack.map((s) => s.name).sort());
    const apps = new Set(stack.map((s) => appOfCommand(s.command)).filter(Boolean));
    expect([...apps].sort()).toEqual(serviceApps());
  });

  it('the stack script exports what the harness assumes', () => {
    const script = fs.readFileSync(path.join(repoRoot, 'scripts', 'stack.sh'), 'utf8');
    for (const name of Object.keys(STACK_EXPORTS)) expect(script, name).toMatch(new RegExp(`export [^\\n]*\\b${name}=`));
  });

  it('configure every service the same (after its own config loader)', async () => {
    const differences: string[] = [];
    for (const s of stack) {
      const app = appOfCommand(s.command);
      if (!app) continue;
      const schema = await configSchema(app);
      const fromStack = loadConfig(schema, { ...STACK_EXPORTS, ...s.env }) as Record<string, unknown>;
      const fromCompose = loadConfig(schema, composeProcessEnv(compose, compose.services[s.name]!)) as Record<string, unknown>;
      for (const key of Object.keys(schema.shape)) {
        const view = COMPARED_AS[key] ?? ((v: unknown) => v);
        const [a, b] = [view(fromStack[key]), view(fromCompose[key])];
        try {
          expect(b).toEqual(a);
        } catch {
          differences.push(`${s.name} ${key}: stack ${JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}, compose ${JSON.stringify(b, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
        }
      }
    }
    expect(differences).toEqual([]);
  });

  it('publish each service\'s HTTP port on the same number', () => {
    for (const s of stack) {
      const port = s.env.HTTP_PORT;
      if (!port) continue;
      expect(compose.services[s.name]!.ports ?? [], s.name).toContain(`127.0.0.1:${port}:${port}`);
    }
  });

  it('run the devnet chain on the same ports and block time', () => {
    const chain = stack.find((s) => s.name === 'devnet-chain')!;
    const flag = (name: string) => chain.command[chain.command.indexOf(name) + 1];
    const env = serviceEnv(compose.services['devnet-chain']!);
    expect([env.DEVNET_RPC_PORT, env.DEVNET_ESPLORA_PORT]).toEqual([flag('--rpc-port'), flag('--esplora-port')]);
    // Blocks on request in both, unless one of them is given a block time.
    expect(env.DEVNET_BLOCK_TIME_S || undefined).toEqual(chain.command.includes('--block-time') ? flag('--block-time') : undefined);
  });
});
