/** Runs a command's action: an error is printed as one `error: …` line and sets exit code 1 (no stack trace). */
export function run(action: () => Promise<void> | void): Promise<void> {
  return Promise.resolve()
    .then(action)
    .catch((e: unknown) => {
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
