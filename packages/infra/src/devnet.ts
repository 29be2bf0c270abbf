// `node packages/infra/dist/devnet.js claim|reset`: the devnet identity check and reset for scripts/stack.sh.
//   claim  prints the devnet id, or exits 3 with the reason when .devnet/ and the databases belong to different devnets
//   reset  drops the devnet's databases and deletes .devnet/ (the caller stops the services first)
// Settings: DEVNET_STATE_DIR (.devnet), DATABASE_URL (the devnet's main database; the signers' are
// <name>_signer_<i>), SIGNER_COUNT (5).
import { claimDevnet, devnetDatabases, DevnetMismatchError, resetDevnet } from './devnet-identity.js';

async function main(command: string | undefined): Promise<number> {
  const o = devnetDatabases(process.env);
  if (command === 'claim') {
    const r = await claimDevnet(o);
    if (r.created) process.stderr.write(`  new devnet ${r.id}: databases ${o.databases.join(', ')} marked as its own\n`);
    if (r.adopted) process.stderr.write(`  devnet ${r.id}: the existing .devnet/ and databases ${o.databases.join(', ')} are marked as one devnet\n`);
    process.stdout.write(`${r.id}\n`);
    return 0;
  }
  if (command === 'reset') {
    const dropped = await resetDevnet(o);
    process.stderr.write(`  dropped databases: ${dropped.length > 0 ? dropped.join(', ') : '(none existed)'}; deleted ${o.stateDir}/\n`);
    return 0;
  }
  process.stderr.write('usage: devnet.js claim|reset\n');
  return 64;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DevnetMismatchError) {
      process.stderr.write(`\nREFUSED: ${err.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`devnet: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
