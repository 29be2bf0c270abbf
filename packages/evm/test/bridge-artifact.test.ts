import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bridgeSourceKeccak256, BRIDGE_SOURCE_PATH, compileBridge } from '../scripts/compile-contracts.js';
import { BRIDGE_ABI, BRIDGE_COMPILER_VERSION, BRIDGE_DEPLOYED_BYTECODE, BRIDGE_SOURCE_KECCAK256 } from '../src/index.js';
import { WITHDRAWAL_REQUESTED_SIGNATURE } from '../src/withdrawals.js';

describe('checked-in bridge artifact', () => {
  it('was compiled from the current Bridge.sol', () => {
    expect(BRIDGE_SOURCE_KECCAK256).toBe(bridgeSourceKeccak256(fs.readFileSync(BRIDGE_SOURCE_PATH, 'utf8')));
  });

  it('holds exactly the runtime code the source compiles to', () => {
    const fresh = compileBridge();
    expect(fresh.compilerVersion).toBe(BRIDGE_COMPILER_VERSION);
    expect(BRIDGE_DEPLOYED_BYTECODE).toBe(fresh.deployedBytecode);
    expect(BRIDGE_ABI).toEqual(fresh.abi);
  });

  it('declares the WithdrawalRequested event the extractor decodes', () => {
    const event = BRIDGE_ABI.find((e) => e.type === 'event' && e.name === 'WithdrawalRequested');
    expect(event).toBeDefined();
    const signature = `${event!.name}(${(event as { inputs: readonly { type: string }[] }).inputs.map((i) => i.type).join(',')})`;
    expect(signature).toBe(WITHDRAWAL_REQUESTED_SIGNATURE);
  });
});
