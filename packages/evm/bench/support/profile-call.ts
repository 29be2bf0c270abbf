// Profiling helper (not a benchmark): one eth_call (bridge.totalBurnedSats) run 2,000 times on the call workers'
// MessageCaller in this thread, with a CPU profile to PROFILE_DIR (default /tmp/evmprof). PLAIN=1 uses @ethereumjs's
// MerkleStateManager instead of CallStateManager, for comparison. See packages/evm/PERF.md.
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager';
import { createVM } from '@ethereumjs/vm';
import { Interface } from 'ethers';
import { buildGenesis } from '../../src/genesis.js';
import { CallStateManager } from '../../src/call-state.js';
import { createChainCommon, devChainConfig, MessageCaller, callTargetOf, fromHex } from '../../src/index.js';
const config = devChainConfig({});
const common = createChainCommon(config);
const state = new (process.env.PLAIN ? MerkleStateManager : CallStateManager)({ common, caches: new Caches() });
const genesis = await buildGenesis(config, common, state);
const vm = await createVM({ common, stateManager: state });
const caller = new MessageCaller(common, vm, state, { rpcGasCap: 50_000_000n, blockGasLimit: 30_000_000n });
const data = fromHex(new Interface(['function totalBurnedSats() view returns (uint256)']).encodeFunctionData('totalBurnedSats'));
const target = callTargetOf(genesis);
const req = { to: '0x0000000000000000000000000000000000B71D6E', data };
for (let i = 0; i < 100; i++) await caller.call(req, target);
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 100 }); await s.post('Profiler.start');
const c0 = process.cpuUsage(); const n = 2000;
for (let i = 0; i < n; i++) await caller.call(req, target);
const cpu = process.cpuUsage(c0);
const { profile } = await s.post('Profiler.stop');
const dir = process.env.PROFILE_DIR ?? '/tmp/evmprof';
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(`${dir}/call.cpuprofile`, JSON.stringify(profile));
console.log(`MessageCaller.call: ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU each`);
