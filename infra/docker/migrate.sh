#!/bin/sh
# Applies the SQL migrations of every app that has prisma/migrations/, with the project's own runner
# (`tapbridge db migrate --app <name>`; idempotent, so safe to run on every deploy).
#
# DATABASE_URL                 the shared database (each app owns one schema in it)
# SIGNER_DATABASE_URL_TEMPLATE optional; when set the signer schema is migrated once per signer database,
#                              "{index}" = 1..SIGNER_COUNT (see signer.sh)
# SIGNER_COUNT                 default 5
# MIGRATE_APPS                 optional space-separated list overriding the discovered apps
set -eu
cd /app
cli="node /app/packages/cli/dist/main.js"

if [ -n "${MIGRATE_APPS:-}" ]; then
  apps="$MIGRATE_APPS"
else
  apps=""
  for dir in apps/*/prisma/migrations; do
    [ -d "$dir" ] || continue
    app="${dir#apps/}"
    apps="$apps ${app%/prisma/migrations}"
  done
fi

for app in $apps; do
  if [ "$app" = signer ] && [ -n "${SIGNER_DATABASE_URL_TEMPLATE:-}" ]; then
    i=1
    while [ "$i" -le "${SIGNER_COUNT:-5}" ]; do
      url=$(printf '%s\n' "$SIGNER_DATABASE_URL_TEMPLATE" | sed "s/{index}/$i/g")
      echo "tapbridge-migrate: signer $i" >&2
      DATABASE_URL="$url" $cli db migrate --app signer
      i=$((i + 1))
    done
  else
    echo "tapbridge-migrate: $app" >&2
    $cli db migrate --app "$app"
  fi
done
# The API keys of the services' state-changing endpoints (schema tapbridge_auth of DATABASE_URL).
echo "tapbridge-migrate: api-keys" >&2
$cli db migrate --app api-keys
echo "tapbridge-migrate: done" >&2
