import fs from 'node:fs';
import path from 'node:path';

/**
 * Whether an executable is on PATH, found by looking, not by running it: test files call this while being collected,
 * and collection must not spawn processes.
 */
export function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
