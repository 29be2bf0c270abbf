import type { Command } from 'commander';

// One line per command group; each group lives in its own file under commands/.
export function registerCommands(program: Command): void {
  void program;
}
