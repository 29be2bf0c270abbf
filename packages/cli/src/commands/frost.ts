// `tapbridge frost simulate`: run ChillDKG and one ROAST-coordinated FROST signing session in-process and
// print the group key, the Taproot output key and a signature that verifies under it.
import type { Command } from 'commander';
import { simulate } from '@tapbridge/frost';

const HEX32 = /^[0-9a-fA-F]{64}$/;

function parseCount(name: string, value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return Number(value);
}

function parseHex32(name: string, value: string): Uint8Array {
  if (!HEX32.test(value)) throw new Error(`--${name} must be 32 bytes of hex (64 hex digits)`);
  return Uint8Array.from(Buffer.from(value, 'hex'));
}

export function registerFrost(program: Command): void {
  const frost = program.command('frost').description('FROST threshold signing (BIP445) with ChillDKG key generation and ROAST');
  frost
    .command('simulate')
    .description('run DKG and a signing session in-process; print groupKey, outputKey, signature, signers as JSON')
    .requiredOption('--n <n>', 'number of participants')
    .requiredOption('--t <t>', 'signing threshold')
    .requiredOption('--message <hex>', '32-byte message (e.g. a sighash), hex')
    .option('--merkle-root <hex>', 'Taproot script-tree merkle root (default: key-path only, unspendable script commitment)')
    .action((opts: { n: string; t: string; message: string; merkleRoot?: string }) => {
      try {
        const n = parseCount('n', opts.n);
        const t = parseCount('t', opts.t);
        if (t > n) throw new Error('--t must not exceed --n');
        const message = parseHex32('message', opts.message);
        const merkleRoot = opts.merkleRoot === undefined ? undefined : parseHex32('merkle-root', opts.merkleRoot);
        const result = simulate({ n, t, message, ...(merkleRoot === undefined ? {} : { merkleRoot }) });
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } catch (e) {
        console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
      }
    });
}
