#!/bin/sh
# One database and one login role per service (wja_intake, wja_charging, wja_court, wja_support,
# wja_insights). Each role owns only its own database, and CONNECT is revoked from PUBLIC, so no
# service's role can open another service's database.
#
# The postgres image runs this once, on an empty data directory. Passwords come from the
# environment (WJA_<SERVICE>_DB_PASSWORD: docker-compose.yml, deploy/secrets/README.md), never
# from this file; psql quotes them (:'password'), so no character in a password can break out.
set -eu

for svc in intake charging court support insights; do
  var="WJA_$(echo "$svc" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  eval "password=\${$var:-}"
  if [ -z "$password" ]; then
    echo "00-databases.sh: $var is not set" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
    --set=name="wja_$svc" --set=password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE CONNECT, TEMPORARY ON DATABASE :"name" FROM PUBLIC;
SQL
done
