# The services of the devnet stack, in start order (sourced by scripts/stack.sh, which defines `start`).
# Each line is one process; later issues add theirs.
:
start devnet-chain node packages/cli/dist/main.js devnet start --data-dir .devnet/chain --rpc-port 18443 --esplora-port 3030
start header-watcher env HTTP_PORT=4001 BTC_SOURCES=core+http://127.0.0.1:18443#cookie=.devnet/chain/.cookie,esplora+http://127.0.0.1:3030 node apps/header-watcher/dist/main.js
