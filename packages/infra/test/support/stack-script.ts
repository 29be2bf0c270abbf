// What scripts/stack-services.sh starts, read by running the real script with its side effects stubbed: `start`
// records each service's command line instead of starting it; `node` answers for the signers' host keys and the
// coordinator's custody, and skips the signers' stake bonds (the only calls that would need running services).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths.js';

/** What scripts/stack.sh exports to every service before sourcing stack-services.sh (checked against stack.sh). */
export const STACK_EXPORTS: Record<string, string> = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/tapbridge',
  NATS_URL: 'nats://127.0.0.1:4223',
  NATS_CREDENTIALS_DIR: `${repoRoot}/.devnet/nats/users`,
  HTTP_HOST: '127.0.0.1',
  RPC_HOST: '127.0.0.1',
  SIGNER_COUNT: '5',
  DEVNET_STATE_DIR: '.devnet',
};

/** What the custody poll answers (any valid key, not compose's placeholder, so a placeholder shows as a difference). */
export const STUB_CUSTODY = {
  groupKey: 'c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5',
  address: 'bcrt1p8h5fh3dp0t0yqrv7z7p9jehjargja35al299vtut97v2ct527zmsh9e7y2',
};
export const STUB_COORDINATOR_PUBKEY = `03${'c'.repeat(64)}`;

export interface StackService {
  name: string;
  /** NAME=value words given to `env`, over STACK_EXPORTS. */
  env: Record<string, string>;
  command: string[];
}

export function stackServices(): StackService[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-stack-script-'));
  try {
    const out = path.join(dir, 'started.jsonl');
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'logs', 'signing-coordinator.log'), `===== t started signing-coordinator =====\n{"msg":"up","coordinatorPubkey":"${STUB_COORDINATOR_PUBKEY}"}\n`);
    const harness = `
set -euo pipefail
STATE=${JSON.stringify(dir)}
DEVNET_BIND=127.0.0.1
${Object.entries(STACK_EXPORTS).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n')}
start() { command node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "$@" >> ${JSON.stringify(out)}; }
node() {
  if [ "$1" = "apps/signer/dist/host-key.js" ]; then printf '02%064d\\n' "$SIGNER_INDEX"; return; fi
  # Operator steps through the CLI (e.g. the signers' stake bonds) need running services and print nothing used here.
  if [ "$1" = "packages/cli/dist/main.js" ]; then return 0; fi
  if [ "$1" = "-e" ] && printf '%s' "$2" | grep -q '/custody'; then echo '${JSON.stringify(STUB_CUSTODY)}'; return; fi
  command node "$@"
}
source scripts/stack-services.sh
`;
    const r = spawnSync('bash', ['-c', harness], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scripts/stack-services.sh failed under the harness:\n${r.stdout}\n${r.stderr}`);
    return fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [name, ...argv] = JSON.parse(line) as string[];
        const env: Record<string, string> = {};
        let i = 0;
        if (argv[0] === 'env') {
          for (i = 1; i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]!); i++) env[argv[i]!.slice(0, argv[i]!.indexOf('='))] = argv[i]!.slice(argv[i]!.indexOf('=') + 1);
        }
        return { name: name!, env, command: argv.slice(i) };
      });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
