#!/bin/sh
# Starts one tapbridge signer; the same command in docker-compose and in the Kubernetes StatefulSet.
#
# SIGNER_INDEX                 1..SIGNER_COUNT. When unset it comes from the pod ordinal: POD_NAME (or the
#                              hostname) "signer-0" is signer 1, "signer-4" is signer 5.
# SIGNER_DATABASE_URL_TEMPLATE optional; "{index}" becomes SIGNER_INDEX and the result is DATABASE_URL, so each
#                              signer keeps its own database (its own view of both chains).
# SIGNER_KEY_PASSPHRASE_FILE   optional, used when SIGNER_KEY_PASSPHRASE is unset; "{index}" is substituted, so a
#                              Secret mounted as files (passphrase-1 .. passphrase-5) gives each pod its own.
set -eu

if [ -z "${SIGNER_INDEX:-}" ]; then
  name="${POD_NAME:-$(hostname)}"
  ordinal="${name##*-}"
  case "$ordinal" in
    '' | *[!0-9]*)
      echo "tapbridge-signer: SIGNER_INDEX is not set and '$name' does not end in -<ordinal>" >&2
      exit 64
      ;;
  esac
  SIGNER_INDEX=$((ordinal + 1))
fi
case "$SIGNER_INDEX" in
  '' | *[!0-9]*) echo "tapbridge-signer: SIGNER_INDEX must be a number, got '$SIGNER_INDEX'" >&2; exit 64 ;;
esac
export SIGNER_INDEX

if [ -n "${SIGNER_DATABASE_URL_TEMPLATE:-}" ]; then
  DATABASE_URL=$(printf '%s\n' "$SIGNER_DATABASE_URL_TEMPLATE" | sed "s/{index}/$SIGNER_INDEX/g")
  export DATABASE_URL
fi
unset SIGNER_DATABASE_URL_TEMPLATE

if [ -z "${SIGNER_KEY_PASSPHRASE:-}" ] && [ -n "${SIGNER_KEY_PASSPHRASE_FILE:-}" ]; then
  file=$(printf '%s\n' "$SIGNER_KEY_PASSPHRASE_FILE" | sed "s/{index}/$SIGNER_INDEX/g")
  if [ ! -r "$file" ]; then
    echo "tapbridge-signer: cannot read the passphrase file $file" >&2
    exit 66
  fi
  SIGNER_KEY_PASSPHRASE=$(cat "$file")
  export SIGNER_KEY_PASSPHRASE
fi
unset SIGNER_KEY_PASSPHRASE_FILE

# `tapbridge-signer host-key` prints this signer's host public key (creating the encrypted key on first use) and
# exits: how an operator collects SIGNER_HOST_PUBKEYS before the signers can start outside regtest.
if [ "${1:-}" = "host-key" ]; then
  exec node /app/apps/signer/dist/host-key.js
fi

exec node /app/apps/signer/dist/main.js "$@"
