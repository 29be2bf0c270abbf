import type { Command } from 'commander';
import { registerDb } from './db.js';
import { registerHeaders } from './headers.js';
import { registerFrost } from './frost.js';
import { registerDeposit } from './deposit.js';
import { registerBlock } from './block.js';
import { registerDevnet } from './devnet.js';
import { registerEvm } from './evm.js';
import { registerSigning } from './signing.js';
import { registerApiKey } from './apikey.js';
import { registerNats } from './nats.js';
import { registerWithdraw } from './withdraw.js';
import { registerStake } from './stake.js';
import { registerChannel } from './channel.js';
import { registerEscape } from './escape.js';

// One line per command group; each group lives in its own file under commands/.
export function registerCommands(program: Command): void {
  registerDb(program);
  registerHeaders(program);
  registerFrost(program);
  registerDeposit(program);
  registerBlock(program);
  registerDevnet(program);
  registerEvm(program);
  registerSigning(program);
  registerApiKey(program);
  registerNats(program);
  registerWithdraw(program);
  registerStake(program);
  registerChannel(program);
  registerEscape(program);
  void program;
}
