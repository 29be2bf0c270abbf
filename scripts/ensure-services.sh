#!/usr/bin/env bash
# Makes sure Postgres, Redis and NATS (with JetStream) run on localhost, installing them from Debian's packages if
# missing. Idempotent: a server already listening is left alone. Used by the stack command, the test command and CI.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do listening "$1" && return 0; sleep 0.2; done; log "nothing listening on $1 after 20 s"; return 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

need_install=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_install+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
command -v nats-server >/dev/null 2>&1 || need_install+=(nats-server)
if [ ${#need_install[@]} -gt 0 ]; then
  log "installing ${need_install[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

if ! listening 5432; then
  log "starting Postgres"
  version=$(ls /etc/postgresql | sort -V | tail -1)
  # Trust auth on localhost for development and CI (the machines' convention); production uses real credentials.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port 5432
fi

if ! listening 6379; then
  log "starting Redis"
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_port 6379
fi

if ! listening 4222; then
  log "starting NATS with JetStream"
  store="${NATS_STORE_DIR:-/tmp/tapbridge-nats}"
  mkdir -p "$store"
  nohup nats-server -a 127.0.0.1 -p 4222 -js -sd "$store" >"$store/nats.log" 2>&1 &
  wait_port 4222
fi
log "Postgres :5432, Redis :6379, NATS :4222 are up"
