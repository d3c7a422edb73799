#!/bin/sh
# One database and one role per service; a role can connect only to its own database.
# Passwords come from the environment (docker-compose.yml), never from this file.
set -eu
for svc in intake charging court support insights; do
  pw_var="WJA_$(echo "$svc" | tr a-z A-Z)_DB_PASSWORD"
  eval "pw=\${$pw_var}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE wja_${svc} LOGIN PASSWORD '${pw}';
CREATE DATABASE wja_${svc} OWNER wja_${svc};
REVOKE CONNECT ON DATABASE wja_${svc} FROM PUBLIC;
SQL
done
