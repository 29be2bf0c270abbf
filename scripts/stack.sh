#!/usr/bin/env bash
# Brings the whole local devnet stack up: dependencies, servers, migrations, build, then every service in the
# background with logs under .devnet/logs. Stop it with scripts/stack.sh stop.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
STATE=.devnet
mkdir -p "$STATE/logs"
# Every devnet server listens on loopback only, unless asked otherwise (DEVNET_BIND=0.0.0.0 exposes the devnet,
# with its raw-message signers and admin key, to the network). Services read it as HTTP_HOST (packages/config).
DEVNET_BIND=${DEVNET_BIND:-127.0.0.1}
export HTTP_HOST="$DEVNET_BIND" RPC_HOST="$DEVNET_BIND"

export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/tapbridge}
export DEVNET_STATE_DIR=$STATE SIGNER_COUNT=5
DEVNET_NATS_PORT=${DEVNET_NATS_PORT:-4223}
DEVNET_NATS_HTTP_PORT=${DEVNET_NATS_HTTP_PORT:-8223}
# Every port the devnet serves on (NATS, its monitor, the chain's RPC and Esplora, the services).
DEVNET_PORTS="$DEVNET_NATS_PORT $DEVNET_NATS_HTTP_PORT 18443 3030 4000 4001 4002 4003 4005 4006 4007 4101 4102 4103 4104 4105 8545"

stop_stack() {
  for f in "$STATE"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    # Wait for the exit, so a reset never drops a database under a service still writing to it.
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
devnet_tool() { node packages/infra/dist/devnet.js "$@"; }
# The devnet's job queues (BullMQ keys under its stream prefix, tb) in the shared Redis: they go with the devnet.
clear_devnet_queues() {
  command -v redis-cli >/dev/null 2>&1 || return 0
  local url=${REDIS_URL:-redis://127.0.0.1:6379}
  redis-cli -u "$url" --scan --pattern "${STREAM_PREFIX:-tb}:*" | xargs -r redis-cli -u "$url" del >/dev/null
}

case "${1:-}" in
  stop)
    stop_stack
    echo "stack stopped"; exit 0 ;;
  reset)
    # Start over: stop, drop this devnet's databases (tapbridge, tapbridge_signer_1..5) and delete .devnet/ (chain,
    # key shares, and the NATS JetStream store, so the TB_* streams go with it).
    stop_stack
    [ -f packages/infra/dist/devnet.js ] || pnpm exec turbo run build --filter=@tapbridge/infra --output-logs=errors-only
    devnet_tool reset
    clear_devnet_queues
    echo "devnet reset: start a new one with scripts/stack.sh"; exit 0 ;;
  "") ;;
  *) echo "usage: scripts/stack.sh [stop|reset]" >&2; exit 64 ;;
esac

# Another devnet (a second checkout, or this one's services left running after .devnet/ was deleted) on our ports would
# answer in our place: refuse unless those are our own processes.
ours_running=""
for f in "$STATE"/pids/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && ours_running=1; done
if [ -z "$ours_running" ]; then
  busy=""
  for p in $DEVNET_PORTS; do listening "$p" && busy="$busy $p"; done
  if [ -n "$busy" ]; then
    echo "REFUSED: something already listens on the devnet's ports:$busy, and no service of this checkout's devnet ($PWD/$STATE/pids) runs." >&2
    echo "Another checkout's devnet? Stop it there (scripts/stack.sh stop), or free the ports." >&2
    exit 3
  fi
fi

# .devnet/ and the databases must be one devnet (packages/infra/src/devnet-identity.ts); refuses with the reason if not.
# Checked before the slow steps when it can be (the tool is built and Postgres is up), and in any case after them.
if [ -f packages/infra/dist/devnet.js ] && listening 5432; then devnet_tool claim >/dev/null || exit 3; fi
fresh_chain=""; [ -e "$STATE/chain" ] || fresh_chain=1

bash scripts/setup.sh
pnpm exec turbo run build --output-logs=errors-only
DEVNET_ID=$(devnet_tool claim) || exit 3
echo "[stack] devnet $DEVNET_ID"
# A new chain starts with no jobs queued from an earlier devnet.
[ -z "$fresh_chain" ] || clear_devnet_queues
node packages/cli/dist/main.js db migrate
mkdir -p "$STATE/pids"

start() { # name, command...
  local name=$1; shift
  if [ -f "$STATE/pids/$name.pid" ] && kill -0 "$(cat "$STATE/pids/$name.pid")" 2>/dev/null; then echo "  $name already running"; return; fi
  # Append, never truncate: a restarted service keeps the log of the run that crashed. The marker starts each run.
  echo "===== $(date -u +%Y-%m-%dT%H:%M:%SZ) started $name =====" >>"$STATE/logs/$name.log"
  nohup "$@" >>"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$STATE/pids/$name.pid"
  echo "  started $name (log: $STATE/logs/$name.log)"
}
# NATS with one identity per service (users and rights from packages/messaging/src/permissions.ts): the devnet's own
# server on $DEVNET_NATS_PORT, so the plain shared one on 4222 (tests, CI) is left alone. Passwords are generated
# once per devnet into .devnet/nats/users; every service reads its own from there (NATS_CREDENTIALS_DIR).
mkdir -p "$STATE/nats"
node packages/cli/dist/main.js nats config --host "$DEVNET_BIND" --port "$DEVNET_NATS_PORT" --http-port "$DEVNET_NATS_HTTP_PORT" \
  --store-dir "$PWD/$STATE/nats/jetstream" --passwords-dir "$STATE/nats/users" --out "$STATE/nats/nats.conf"
start nats nats-server -c "$STATE/nats/nats.conf"
for _ in $(seq 1 100); do listening "$DEVNET_NATS_PORT" && break; sleep 0.2; done
# The streams (TB_*) live in this devnet's JetStream store: make sure the server answering is the one using it.
nats_store=$(node -e 'fetch(process.argv[1]).then((r) => r.json()).then((v) => console.log(v.config?.store_dir ?? v.store_dir ?? "")).catch(() => console.log(""))' "http://127.0.0.1:$DEVNET_NATS_HTTP_PORT/jsz")
if [ "${nats_store%/}" != "$PWD/$STATE/nats/jetstream" ] && [ "${nats_store%/}" != "$PWD/$STATE/nats/jetstream/jetstream" ]; then
  echo "REFUSED: the NATS server on :$DEVNET_NATS_PORT keeps its streams in '${nats_store:-?}', not in this devnet's $PWD/$STATE/nats/jetstream (another devnet's server?)." >&2
  exit 3
fi
export NATS_URL="nats://127.0.0.1:$DEVNET_NATS_PORT" NATS_CREDENTIALS_DIR="$PWD/$STATE/nats/users"
# An API key with every scope for the devnet's state-changing endpoints (POST /signatures, ...), made once.
[ -s "$STATE/admin.apikey" ] || node packages/cli/dist/main.js apikey create --name devnet-admin --scope '*' --out "$STATE/admin.apikey" >/dev/null
echo "  devnet admin API key: $STATE/admin.apikey (send it as x-api-key; the CLI reads TAPBRIDGE_API_KEY_FILE=$PWD/$STATE/admin.apikey)"
echo "[stack] starting services"
# shellcheck source=/dev/null
source scripts/stack-services.sh
echo
echo "tapbridge devnet is up. Health: curl localhost:<port>/health/ready; metrics: /metrics; API docs: /docs"
echo "NATS (per-service users): nats://127.0.0.1:$DEVNET_NATS_PORT, passwords in $STATE/nats/users; admin API key: $STATE/admin.apikey"
echo "Stop with: scripts/stack.sh stop"
