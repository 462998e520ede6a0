# Sourced by .ci/run: start_postgres starts a throwaway PostgreSQL cluster from the machine's packages
# (installing Debian's postgresql if it is missing) in a temporary directory, on a free port of 127.0.0.1,
# creates the database dissent_ci, exports DISSENT_TEST_POSTGRES, and stops the cluster when the script
# exits. fsync is off: the cluster holds only test data, and the tests do not test PostgreSQL's durability.

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do
    [ -x "$d/initdb" ] && echo "$d"
  done | tail -n 1
}

# as_root runs a command as root: directly, or through sudo.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# as_pg runs a command as the cluster's owner: the postgres user when we are root (initdb refuses root),
# else ourselves.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for p in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

start_postgres() {
  local bin
  bin=$(pg_bindir)
  if [ -z "$bin" ]; then
    echo "installing PostgreSQL (Debian's postgresql package)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(pg_bindir)
  fi
  [ -n "$bin" ] || { echo "no PostgreSQL server binaries after installing postgresql"; return 1; }
  PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dissent-ci-pg.XXXXXX")
  chmod 0777 "$PG_TMP"
  PG_BIN=$bin
  trap stop_postgres EXIT
  local port
  port=$(free_port)
  as_pg "$bin/initdb" -D "$PG_TMP/data" -A trust -U postgres -E UTF8 >"$PG_TMP/initdb.log" 2>&1 ||
    { cat "$PG_TMP/initdb.log"; return 1; }
  as_pg "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null ||
    { cat "$PG_TMP/server.log"; return 1; }
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres dissent_ci
  export DISSENT_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/dissent_ci?sslmode=disable"
  export PATH="$PATH:$bin"  # psql and createdb, for bench/pg-story
  echo "$("$bin/postgres" --version) on 127.0.0.1:$port"
}

stop_postgres() {
  if [ -n "${PG_TMP:-}" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
