#!/usr/bin/env bash
# Run a command with LEO_TEST_PG_URL pointing at a PostgreSQL server.
# If LEO_TEST_PG_URL is already set, use that server. Otherwise start a throwaway cluster on
# 127.0.0.1 (installing Debian's postgresql package first when running as root without it), run
# the command, and stop and delete the cluster afterwards, whatever the command's outcome.
set -euo pipefail

if [ -n "${LEO_TEST_PG_URL:-}" ]; then
  exec "$@"
fi

find_pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN="$(find_pgbin || true)"
if [ -z "$PGBIN" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "with_postgres: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  PGBIN="$(find_pgbin || true)"
fi
if [ -z "$PGBIN" ]; then
  echo "with_postgres: no PostgreSQL server found; PostgreSQL tests will be skipped" >&2
  exec "$@"
fi

# LEO_TEST_PG_PORT, or the first port from 55432 on that nothing listens on (two checkouts, or a
# test run beside a worker's, each get their own cluster)
PORT="${LEO_TEST_PG_PORT:-}"
if [ -z "$PORT" ]; then
  for candidate in $(seq 55432 55531); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then PORT=$candidate; break; fi
  done
fi
PGDATA="$(mktemp -d /tmp/leo_pg.XXXXXX)"
RUNAS=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown -R postgres "$PGDATA"
  RUNAS=(runuser -u postgres --)
fi
cleanup() {
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT
"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
  -o "-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
export LEO_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "with_postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
exit $status
