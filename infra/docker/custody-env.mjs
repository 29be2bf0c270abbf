// Prints `export CUSTODY_GROUP_KEY=… CUSTODY_ADDRESS=…` for a shell to eval, from the signing-coordinator's
// GET /custody once its DKG has produced the group key: the deposit-indexer watches the custody the signers really
// made (as scripts/stack-services.sh does), not a placeholder. Waits up to CUSTODY_WAIT_S (600) seconds.
//   node infra/docker/custody-env.mjs http://signing-coordinator:4003/custody
const url = process.argv[2];
if (!url) {
  console.error('usage: custody-env.mjs <coordinator /custody URL>');
  process.exit(64);
}
const deadline = Date.now() + Number(process.env.CUSTODY_WAIT_S ?? '600') * 1000;
for (;;) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (res.ok) {
      const { groupKey, address } = await res.json();
      // Checked before it reaches a shell: hex key, bech32 address.
      if (!/^[0-9a-f]{64}$/.test(groupKey) || !/^[a-z0-9]{1,83}$/.test(address)) {
        console.error(`custody-env: ${url} answered an unexpected custody: ${JSON.stringify({ groupKey, address })}`);
        process.exit(65);
      }
      console.log(`export CUSTODY_GROUP_KEY=${groupKey} CUSTODY_ADDRESS=${address}`);
      process.exit(0);
    }
  } catch {
    // not up yet
  }
  if (Date.now() > deadline) {
    console.error(`custody-env: no custody from ${url} in time (has the DKG run? see the signing-coordinator's logs)`);
    process.exit(69);
  }
  await new Promise((r) => setTimeout(r, 2000));
}
