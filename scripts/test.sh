#!/usr/bin/env bash
# Runs every test against real Postgres, Redis and NATS on localhost (started or installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/setup.sh
echo "[test] typecheck"
pnpm exec turbo run typecheck --output-logs=errors-only
echo "[test] lint"
pnpm exec eslint . --max-warnings=0
echo "[test] build (apps are run from their build in end-to-end tests)"
pnpm exec turbo run build --output-logs=errors-only
echo "[test] vitest"
# CI fuzzes with one fixed seed, so a landing is never decided by a random draw; local runs explore new seeds each
# time (fast-check prints FUZZ_SEED/FUZZ_PATH to replay a finding, which is then kept as a regression case).
if [ "${CI:-}" = "true" ] && [ -z "${FUZZ_SEED:-}" ]; then export FUZZ_SEED=20261203; fi
results=$(mktemp)
status=0
pnpm exec vitest run --reporter=default --reporter=./packages/testing/src/skip-reporter.ts --reporter=json --outputFile.json="$results" "$@" || status=$?
# A plain closing line any CI can read.
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests+r.numTodoTests} skipped`)' "$results" || true
rm -f "$results"
exit $status
