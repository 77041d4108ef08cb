#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests (Debian's `postgresql`): initdb in a temp dir, run as an
# unprivileged user (PostgreSQL refuses root: as root it runs as `postgres`), on a free loopback port, trust auth.
# Source it: it exports CODERUNNER_TEST_POSTGRES (a connection string to the `postgres` database, as superuser
# `coderunner`) and defines stop_throwaway_postgres, which the caller runs on exit (trap).
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server binaries not found: install Debian's 'postgresql' package" >&2; return 1 2>/dev/null || exit 1; }

pg_dir=$(mktemp -d /tmp/coderunner-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$pg_dir"
  as_pg=(runuser -u postgres --)
else
  as_pg=()
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U coderunner -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
# Durability is pointless for a throwaway cluster; fsync off keeps the tests fast on shared disks.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1 2>/dev/null || exit 1; }

export CODERUNNER_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=coderunner;Database=postgres"
echo "Throwaway PostgreSQL on 127.0.0.1:$pg_port ($pg_dir)"

stop_throwaway_postgres() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
