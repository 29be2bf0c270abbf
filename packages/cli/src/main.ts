#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command('tapbridge').description('tapbridge: operator and developer command line');
registerCommands(program);
program.showHelpAfterError();
await program.parseAsync(process.argv);
