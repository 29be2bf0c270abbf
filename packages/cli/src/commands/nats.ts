// `tapbridge nats config`: the nats-server configuration with one user per service identity and the permissions of
// packages/messaging/src/permissions.ts (the single source of truth), for the stack, compose, CI and Kubernetes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ADMIN_IDENTITY, passwordEnvName, renderNatsServerConfig, stackIdentities, type NatsSecret } from '@tapbridge/messaging';

interface ConfigOptions {
  prefix: string[];
  signers: string;
  passwordsDir?: string;
  host: string;
  port: string;
  httpPort?: string;
  storeDir: string;
  serverName?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerify?: boolean;
  admin: boolean;
  out?: string;
}

const int = (name: string, v: string, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number in ${min}..${max}`);
  return n;
};

/** Reads `<dir>/<identity>.password`, creating it (random, mode 600) when missing. */
function devnetPassword(dir: string, identity: string): string {
  const file = path.join(dir, `${identity}.password`);
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export function registerNats(program: Command): void {
  const nats = program.command('nats').description('NATS identities and permissions (packages/messaging/src/permissions.ts)');
  nats
    .command('config')
    .description('render the nats-server configuration: one user per service with per-subject rights')
    .option('--prefix <prefix...>', 'stream prefixes the rights cover (STREAM_PREFIX)', ['tb'])
    .option('--signers <n>', 'number of signers (users signer-1..n)', '5')
    .option('--passwords-dir <dir>', 'devnet: generate missing <dir>/<identity>.password and put them in the file (then keep it private); default: $NATS_PASSWORD_<IDENTITY> read by nats-server from its environment')
    .option('--host <host>', 'listen address', '0.0.0.0')
    .option('--port <port>', 'client port', '4222')
    .option('--http-port <port>', 'monitoring port (/healthz)')
    .option('--store-dir <dir>', 'JetStream store directory', '/data/jetstream')
    .option('--server-name <name>', 'server name')
    .option('--tls-cert <file>', 'server certificate (PEM): clients must then connect with TLS')
    .option('--tls-key <file>', 'server key (PEM)')
    .option('--tls-ca <file>', 'CA for client certificates')
    .option('--tls-verify', 'require client certificates signed by --tls-ca')
    .option('--no-admin', 'leave out the admin user (every right)')
    .option('--out <file>', 'write to this file (mode 600) instead of stdout')
    .action((o: ConfigOptions) => {
      try {
        const signerCount = int('signers', o.signers, 1, 100);
        if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new Error('give both --tls-cert and --tls-key');
        if (o.tlsVerify && !o.tlsCa) throw new Error('--tls-verify needs --tls-ca');
        if (o.passwordsDir) mkdirSync(o.passwordsDir, { recursive: true, mode: 0o700 });
        const secret = (identity: string): NatsSecret =>
          o.passwordsDir ? { password: devnetPassword(o.passwordsDir, identity) } : { passwordEnv: passwordEnvName(identity) };
        const text = renderNatsServerConfig({
          prefixes: o.prefix,
          signerCount,
          secret,
          host: o.host,
          port: int('port', o.port, 1, 65535),
          ...(o.httpPort ? { httpPort: int('http-port', o.httpPort, 1, 65535) } : {}),
          ...(o.serverName ? { serverName: o.serverName } : {}),
          jetstreamStoreDir: o.storeDir,
          includeAdmin: o.admin,
          ...(o.tlsCert && o.tlsKey ? { tls: { cert: o.tlsCert, key: o.tlsKey, ...(o.tlsCa ? { ca: o.tlsCa } : {}), verifyClients: Boolean(o.tlsVerify) } } : {}),
        });
        if (o.out) writeFileSync(o.out, text, { mode: 0o600 });
        else process.stdout.write(text);
      } catch (e) {
        console.error(`error: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });

  nats
    .command('identities')
    .description('the NATS users of a stack and the environment variable each password is read from')
    .option('--signers <n>', 'number of signers', '5')
    .action((o: { signers: string }) => {
      const ids = [...stackIdentities(int('signers', o.signers, 1, 100)), ADMIN_IDENTITY];
      process.stdout.write(`${JSON.stringify(ids.map((id) => ({ user: id, passwordEnv: passwordEnvName(id) })), null, 2)}\n`);
    });
}
