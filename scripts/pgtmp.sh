# Throwaway PostgreSQL cluster on a unix socket, no TCP (stack-notes.md, recipe A).
# Source it, then: pgtmp_start; ...; pgtmp_stop. PostgreSQL refuses to run as root, so as
# root the server runs as the 'postgres' user.
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgtmp_start() {
  PGTMP=$(mktemp -d /tmp/pgtest.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGTMP"; fi
  _as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$PGTMP/initdb.log" 2>&1 || { cat "$PGTMP/initdb.log"; return 1; }
  _as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
      -o "-k $PGTMP -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c checkpoint_timeout=30min -c max_connections=200" \
      start >/dev/null || { cat "$PGTMP/server.log"; return 1; }
  export PGHOST="$PGTMP" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
  export CV_DATABASE_URL="postgresql://postgres@/creditvillage?host=$PGTMP"
}
pgtmp_stop() {
  [ -n "${PGTMP:-}" ] || return 0
  _as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"; unset PGTMP CV_DATABASE_URL
}
