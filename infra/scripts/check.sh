#!/bin/sh
# Checks everything under infra/ that can be checked without a Docker engine or a cluster. Tools that are
# missing are skipped with a note (Debian: apt-get install prometheus nats-server kubectl).
#   infra/scripts/check.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok    $1"; }
bad() { echo "FAIL  $1"; failed=1; }
skip() { echo "skip  $1"; }
have() { command -v "$1" >/dev/null 2>&1; }

# Copies made by sync.sh are current.
infra/scripts/sync.sh --print-prometheusrule > "$tmp/prometheusrule.yaml"
cmp -s "$tmp/prometheusrule.yaml" infra/kustomize/components/monitoring/prometheusrule.yaml \
  && cmp -s infra/postgres/create-databases.sql infra/kustomize/base/files/create-databases.sql \
  && cmp -s infra/nats/nats.conf infra/kustomize/overlays/devnet/files/nats.conf \
  && ok "copies in sync (infra/scripts/sync.sh)" || bad "copies out of date: run infra/scripts/sync.sh"

# Dashboards are what the generator writes, and valid JSON.
if have node; then
  mkdir -p "$tmp/grafana/dashboards" && cp infra/grafana/generate-dashboards.mjs "$tmp/grafana/"
  if node "$tmp/grafana/generate-dashboards.mjs" >/dev/null \
    && diff -q "$tmp/grafana/dashboards" infra/grafana/dashboards >/dev/null; then
    ok "dashboards match generate-dashboards.mjs"
  else
    bad "dashboards differ from generate-dashboards.mjs: run node infra/grafana/generate-dashboards.mjs"
  fi
  for f in infra/grafana/dashboards/*.json; do
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$f" && ok "json $f" || bad "json $f"
  done
else
  skip "node: dashboards"
fi

# Every YAML file parses.
if have python3 && python3 -c 'import yaml' 2>/dev/null; then
  for f in docker-compose.yml $(find infra -name '*.yml' -o -name '*.yaml' | sort); do
    python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f" && ok "yaml $f" || bad "yaml $f"
  done
else
  skip "python3 yaml: YAML parsing"
fi

# Shell scripts.
for f in infra/docker/*.sh infra/scripts/*.sh; do
  sh -n "$f" && ok "sh -n $f" || bad "sh -n $f"
done

# Prometheus rules, their unit tests, the compose Prometheus config.
if have promtool; then
  promtool check rules infra/prometheus/rules.yml >/dev/null && ok "promtool check rules" || bad "promtool check rules"
  (cd infra/prometheus && promtool test rules rules.test.yml >/dev/null) && ok "promtool test rules" || bad "promtool test rules"
  sed "s#/etc/prometheus/rules.yml#$root/infra/prometheus/rules.yml#" infra/prometheus/prometheus.yml > "$tmp/prometheus.yml"
  promtool check config "$tmp/prometheus.yml" >/dev/null && ok "promtool check config" || bad "promtool check config"
else
  skip "promtool"
fi

# NATS configuration.
if have nats-server; then
  # The passwords are $NATS_PASSWORD_<IDENTITY> references resolved from nats-server's environment: give dummies.
  env $(grep -o 'NATS_PASSWORD_[A-Z0-9_]*' infra/nats/nats.conf | sort -u | sed 's/$/=check/') \
    nats-server -c infra/nats/nats.conf -t >/dev/null 2>&1 && ok "nats-server -t" || bad "nats-server -t infra/nats/nats.conf"
else
  skip "nats-server"
fi

# Kustomize overlays build.
if have kubectl; then
  for o in infra/kustomize/overlays/*/; do
    kubectl kustomize "$o" > "$tmp/out.yaml" && ok "kustomize $o" || bad "kustomize $o"
  done
else
  skip "kubectl: kustomize"
fi

# Compose file (needs the compose plugin; it parses without an engine).
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q && ok "docker compose config" || bad "docker compose config"
  BITCOIN_NETWORK=testnet4 BTC_SOURCES=core+http://u:p@h:1 docker compose -f docker-compose.yml -f infra/compose/bitcoin.yml config -q \
    && ok "docker compose config (+ bitcoin override)" || bad "docker compose config (+ bitcoin override)"
else
  skip "docker compose plugin"
fi

[ "$failed" = 0 ] && echo "all checks passed" || echo "some checks FAILED"
exit "$failed"
