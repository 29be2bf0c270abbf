// Burns L2 BTC through the bridge contract so the signers pay it out on Bitcoin: a plain ethers contract call.
//   node --conditions=@tapbridge/source --import tsx apps/evm-gateway/scripts/withdraw.ts \
//     --to <bitcoin address> --sats <amount> [--max-fee <sats>] [--network regtest] [--rpc http://127.0.0.1:8545] [--key 0x…]
// Without --key (or $WITHDRAW_PRIVATE_KEY) it uses devnet dev account 0. Prints the request as JSON.
import { parseArgs } from 'node:util';
import { addressToOutputScript, bytesToHex } from '@tapbridge/bitcoin';
import { BRIDGE_ABI, BRIDGE_ADDRESS, WEI_PER_SAT } from '@tapbridge/evm';
import { Contract, Interface, JsonRpcProvider, Wallet, type ContractTransactionResponse, type InterfaceAbi } from 'ethers';
import { DEV_ACCOUNTS } from '../src/chain/chain.js';

const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    sats: { type: 'string' },
    'max-fee': { type: 'string', default: '2000' },
    network: { type: 'string', default: 'regtest' },
    rpc: { type: 'string', default: 'http://127.0.0.1:8545' },
    key: { type: 'string' },
  },
});

function wholeSats(value: string | undefined, name: string): bigint {
  if (value === undefined || !/^(0|[1-9][0-9]*)$/.test(value)) throw new Error(`--${name} must be a whole number of sats, got ${String(value)}`);
  return BigInt(value);
}

try {
  if (values.to === undefined) throw new Error('--to <bitcoin address> is required');
  const amountSats = wholeSats(values.sats, 'sats');
  const maxFeeSats = wholeSats(values['max-fee'], 'max-fee');
  const script = addressToOutputScript(values.to, values.network);
  const provider = new JsonRpcProvider(values.rpc, undefined, { staticNetwork: true, pollingInterval: 200 });
  const wallet = new Wallet(values.key ?? process.env.WITHDRAW_PRIVATE_KEY ?? DEV_ACCOUNTS[0]!.privateKey, provider);
  const bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI as InterfaceAbi, wallet);
  // The bridge reverts (with a named error) on fractional sats, dust, a fee cap not below the amount and
  // non-standard scripts; ethers surfaces that from the gas estimate before anything is sent.
  const tx = (await bridge.getFunction('withdraw')(`0x${bytesToHex(script)}`, maxFeeSats, { value: amountSats * WEI_PER_SAT })) as ContractTransactionResponse;
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} has no receipt`);
  const event = receipt.logs.map((l) => bridge.interface.parseLog(l)).find((l) => l?.name === 'WithdrawalRequested');
  if (event === undefined || event === null) throw new Error(`transaction ${tx.hash} emitted no WithdrawalRequested`);
  console.log(
    JSON.stringify({
      withdrawalId: (event.args[0] as bigint).toString(),
      sender: wallet.address,
      to: values.to,
      btcScriptPubKey: bytesToHex(script),
      amountSats: amountSats.toString(),
      maxFeeSats: maxFeeSats.toString(),
      txHash: tx.hash,
      blockNumber: receipt.blockNumber,
    }),
  );
  provider.destroy();
} catch (err) {
  const e = err as { shortMessage?: string; revert?: { name: string; args: unknown[] } | null; data?: string; message: string };
  // Errors from eth_estimateGas carry only the raw revert data; decode it with the bridge's ABI.
  const revert = e.revert ?? (e.data !== undefined ? new Interface(BRIDGE_ABI as InterfaceAbi).parseError(e.data) : null);
  console.error(revert ? `reverted: ${revert.name}(${revert.args.join(', ')})` : (e.shortMessage ?? e.message));
  process.exit(1);
}
