-- Creates the tapbridge databases if they are missing; safe to run on every deploy.
--   psql "$ADMIN_DATABASE_URL" -v ON_ERROR_STOP=1 -v signer_count=5 -f create-databases.sql
-- Connect to a maintenance database (postgres): CREATE DATABASE cannot run inside the one it creates.
--
--   tapbridge               shared by header-watcher, deposit-indexer, signing-coordinator, evm-gateway
--                           (each owns one schema in it; the migrations create the schemas)
--   tapbridge_signer_<i>    one per signer, i = 1..signer_count: a signer keeps its own view and never
--                           shares tables with another signer
\if :{?signer_count}
\else
  \set signer_count 5
\endif

SELECT format('CREATE DATABASE %I', name)
FROM (
  SELECT 'tapbridge' AS name
  UNION ALL
  SELECT 'tapbridge_signer_' || i FROM generate_series(1, :signer_count) AS i
) AS wanted
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = wanted.name)
ORDER BY name
\gexec
