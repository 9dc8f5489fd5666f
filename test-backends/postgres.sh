#!/bin/bash
# A private PostgreSQL server for tests (TestBackends contract, see
# delegates/src/test/java/org/pilotflow/testing/TestBackends.java).
#
#   postgres.sh start <state-dir>   start it (idempotent), write <state-dir>/postgres.env; exit 3: not installed
#   postgres.sh stop  <state-dir>   stop it (fast shutdown: open client connections are ended); always exit 0
#
# The binaries are Debian's (the newest /usr/lib/postgresql/<major>/bin); the cluster is not one of Debian's
# (no pg_ctlcluster, nothing under /etc/postgresql or /var/lib/postgresql is used or changed), so a cluster the
# package started on 5432 neither matters nor is touched. Everything lives in <state-dir>: data/ (the cluster,
# its postgresql.conf includes data/pilotflow.conf, rewritten on every start), run/ (the unix socket) and
# postgres.log. The server listens on 127.0.0.1 only; TCP clients log in with a password (scram-sha-256), the
# unix socket admits only the OS user that runs the server (peer), which this script uses for administration.
#
# PostgreSQL refuses to run as root: as root, the server runs as the system user "postgres", which then owns
# data/, run/ and the log and must be able to reach <state-dir> (a /tmp path is fine; not one under /root).
#
# A server for tests, not for data: fsync, synchronous_commit and full_page_writes are off (the tests never crash
# the server itself, and a crashed test cluster is simply made anew); max_connections 300 for a handful of engines
# with a connection pool each.
#
# postgres.env: PG_HOST, PG_PORT, PG_USER, PG_PASSWORD, PG_DATABASE (a login role with CREATEDB and a database
# it owns), PG_JDBC_URL; PG_VERSION (major), PG_BIN (client tools of that version), PG_DATA, PG_LOG; CLIENT_ENV=
# (clients need no env).
#
# Environment: POSTGRES_PORT (default 55432).
set -euo pipefail

PORT=${POSTGRES_PORT:-55432}
HOST=127.0.0.1
DB_USER=pilotflow
DB_PASSWORD=pilotflow
DB_NAME=pilotflow

usage() { echo "usage: $0 start|stop <state-dir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
ACTION=$1

log() { echo "[postgres.sh $(date +%T.%3N)] $*"; }

# running
. "$(dirname "$0")/lib.sh"

mkdir -p "$2"
D=$(cd "$2" && pwd)
DATA=$D/data
RUN=$D/run
LOG=$D/postgres.log

# The newest installed major version (Debian installs each under /usr/lib/postgresql/<major>).
BIN=$(for b in /usr/lib/postgresql/*/bin; do
        if [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && [ -x "$b/psql" ] && [ -x "$b/pg_isready" ]; then echo "$b"; fi
      done | sort -V | tail -n 1)

# The server runs as this OS user; as root that is "postgres", whom initdb and pg_ctl are run as.
if [ "$(id -u)" = 0 ]; then
  SERVER_USER=postgres
else
  SERVER_USER=$(id -un)
fi
# From /: the server user may not be allowed into the caller's working directory. Without fd 9 (the lock, see
# the end): a server started by pg_ctl would inherit it and hold the lock for as long as it runs.
as_server() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u "$SERVER_USER" -- "$@") 9>&-
  else
    (cd / && "$@") 9>&-
  fi
}

# True when something accepts TCP connections on the port (bash's /dev/tcp: no nc needed).
port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

server_running() {
  [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ] && as_server "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

stop() {
  local pid
  if [ -z "$BIN" ] || [ ! -d "$DATA" ]; then
    log "not running (no server or no cluster in $DATA)"
    return 0
  fi
  if ! server_running; then
    log "not running"
    return 0
  fi
  # fast: roll back open transactions and end client sessions (a test JVM may still hold a pool) instead of
  # waiting for them the way the default "smart" shutdown does
  if as_server "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null; then
    log "stopped"
    return 0
  fi
  log "fast shutdown did not finish within 60 s; immediate shutdown"
  as_server "$BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 30 >/dev/null 2>&1 && { log "stopped"; return 0; }
  pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && running "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
    log "postmaster ($pid) still running; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Makes the cluster in $DATA unless there is one.
init_cluster() {
  if [ -f "$DATA/PG_VERSION" ]; then
    return 0
  fi
  # no cluster or a half-made one (initdb died, and it refuses a directory that is not empty)
  rm -rf "$DATA"
  install -d -m 700 -o "$SERVER_USER" -g "$SERVER_GROUP" "$DATA"
  # C locale: the same sorting on every machine and no dependency on generated locales; --no-sync: test data
  if ! as_server "$BIN/initdb" -D "$DATA" --encoding=UTF8 --locale=C --auth-local=peer \
        --auth-host=scram-sha-256 --no-sync --no-instructions >>"$LOG" 2>&1; then
    log "initdb failed; the end of $LOG:"
    tail -n 20 "$LOG" >&2
    exit 1
  fi
  echo "include 'pilotflow.conf'   # written by test-backends/postgres.sh on every start" >>"$DATA/postgresql.conf"
  log "made a new PostgreSQL $MAJOR cluster in $DATA"
}

# Writes file $1 from stdin, owned by the server user; prints "changed" when its content changed.
write_config() {
  local f=$1
  cat >"$f.new"
  if cmp -s "$f.new" "$f"; then
    rm -f "$f.new"
  else
    chown "$SERVER_USER:$SERVER_GROUP" "$f.new"
    chmod 600 "$f.new"
    mv -f "$f.new" "$f"
    echo changed
  fi
}

psql_admin() {  # as the cluster's superuser (the server user) over the unix socket
  as_server "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -d postgres
}

start() {
  if [ -z "$BIN" ]; then
    log "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin with initdb, pg_ctl, psql and pg_isready" \
        "(apt-get install postgresql)"
    exit 3
  fi
  MAJOR=$(basename "$(dirname "$BIN")")
  if ! SERVER_GROUP=$(id -gn "$SERVER_USER" 2>/dev/null); then
    log "user '$SERVER_USER' does not exist; Debian's postgresql-common package creates it"
    exit 1
  fi
  if [ $((${#RUN} + 20)) -gt 107 ]; then   # a unix socket path may be 107 bytes long
    log "state dir too long for the unix socket path $RUN/.s.PGSQL.$PORT; use a shorter one"
    exit 1
  fi
  local t0 changed
  t0=$(date +%s%3N)

  # The server user must reach <state-dir>: it gets the directories it writes to, and <state-dir> itself must
  # let it pass (the JVM creates it with the umask; o+x lets through, it does not list or open anything).
  install -d -m 700 -o "$SERVER_USER" -g "$SERVER_GROUP" "$DATA"
  install -d -m 755 -o "$SERVER_USER" -g "$SERVER_GROUP" "$RUN"
  [ -e "$LOG" ] || install -m 600 -o "$SERVER_USER" -g "$SERVER_GROUP" /dev/null "$LOG"
  if [ "$(id -u)" = 0 ]; then
    chmod o+x "$D"
    [ "$(stat -c %U "$DATA")" = "$SERVER_USER" ] || chown -R "$SERVER_USER:$SERVER_GROUP" "$DATA"
    chown "$SERVER_USER:$SERVER_GROUP" "$LOG"
    if ! runuser -u "$SERVER_USER" -- test -w "$RUN" -a -w "$LOG"; then
      log "user '$SERVER_USER' cannot reach $D (a parent directory is closed to other users); use a state dir" \
          "under /tmp, e.g. run the tests with -Djava.io.tmpdir=/tmp"
      exit 1
    fi
  fi

  # a cluster of another major version (PostgreSQL was upgraded): test data, so it goes
  if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" != "$MAJOR" ]; then
    log "the cluster in $DATA is PostgreSQL $(cat "$DATA/PG_VERSION"), the server is $MAJOR; making a new one"
    stop
    rm -rf "$DATA"
  fi

  local up=no
  if server_running; then
    up=yes
  else
    if port_open; then
      log "port $HOST:$PORT is taken by another process; stop it or set POSTGRES_PORT"
      exit 1
    fi
    if [ -s "$LOG" ]; then
      # a new server, a new log; the last one stays, so a failed run's log survives the next start
      mv -f "$LOG" "$LOG.1"
      install -m 600 -o "$SERVER_USER" -g "$SERVER_GROUP" /dev/null "$LOG"
    fi
  fi
  init_cluster

  changed=$(
    write_config "$DATA/pilotflow.conf" <<EOF
# written by test-backends/postgres.sh on every start; a test server, not one for data
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$RUN'
max_connections = 300
password_encryption = 'scram-sha-256'
# tests never crash the server itself; a crashed test cluster is made anew
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    write_config "$DATA/pg_hba.conf" <<EOF
# written by test-backends/postgres.sh on every start
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 peer
host    all       all   $HOST/32  scram-sha-256
EOF
  )

  if [ $up = yes ]; then
    if [ -n "$changed" ]; then
      # port, listen address, socket directory and max_connections only take effect on a restart
      log "already running; its configuration changed: restarting"
      if ! as_server "$BIN/pg_ctl" restart -D "$DATA" -m fast -w -t 60 -l "$LOG" >/dev/null; then
        log "the server did not restart within 60 s; the end of $LOG:"
        tail -n 20 "$LOG" >&2
        exit 1
      fi
    else
      log "already running (pid $(head -n 1 "$DATA/postmaster.pid")) on $HOST:$PORT"
    fi
  else
    # -w: pg_ctl polls until the server accepts connections (or reports that it died)
    if ! as_server "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 >/dev/null; then
      log "the server did not start within 60 s; the end of $LOG:"
      tail -n 20 "$LOG" >&2
      exit 1
    fi
    log "started PostgreSQL $MAJOR (pid $(head -n 1 "$DATA/postmaster.pid")) on $HOST:$PORT"
  fi

  # Ready means: it accepts TCP connections on the address the tests use (pg_ctl -w may have used the socket).
  local deadline=$((SECONDS + 30))
  until "$BIN/pg_isready" -q -h "$HOST" -p "$PORT" -d postgres -t 5; do
    if [ $SECONDS -ge $deadline ]; then
      log "not accepting connections on $HOST:$PORT within 30 s; the end of $LOG:"
      tail -n 20 "$LOG" >&2
      exit 1
    fi
    sleep 0.1
  done

  # The tests' role and database; the password is set on every start so the env file is always right.
  psql_admin <<EOF
SELECT 'CREATE ROLE $DB_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') \gexec
ALTER ROLE $DB_USER LOGIN CREATEDB NOSUPERUSER PASSWORD '$DB_PASSWORD';
-- DROP DATABASE ... WITH (FORCE) ends every session on the database; one that is not the role's own (an
-- autovacuum worker visiting a new database) needs this, or the drop fails now and then
GRANT pg_signal_backend TO $DB_USER;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
EOF

  # Prove the fixture works the way the tests use it (TCP, password), so a broken setup fails here.
  local got
  got=$(PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=10 "$BIN/psql" -X -w -tA -h "$HOST" -p "$PORT" -U "$DB_USER" \
        -d "$DB_NAME" -c "SELECT current_user || ' fsync=' || current_setting('fsync')" 2>&1) || true
  if [ "$got" != "$DB_USER fsync=off" ]; then
    log "logging in as $DB_USER over TCP gave '$got', expected '$DB_USER fsync=off'; see $LOG"
    exit 1
  fi

  cat >"$D/postgres.env.new" <<EOF
PG_HOST=$HOST
PG_PORT=$PORT
PG_USER=$DB_USER
PG_PASSWORD=$DB_PASSWORD
PG_DATABASE=$DB_NAME
PG_JDBC_URL=jdbc:postgresql://$HOST:$PORT/$DB_NAME
PG_VERSION=$MAJOR
PG_BIN=$BIN
PG_DATA=$DATA
PG_LOG=$LOG
CLIENT_ENV=
EOF
  chmod 600 "$D/postgres.env.new"
  mv -f "$D/postgres.env.new" "$D/postgres.env"
  log "ready in $(($(date +%s%3N) - t0)) ms; $D/postgres.env written"
}

# Test JVMs of several modules may start or stop the fixture at the same moment: one at a time.
exec 9>"$D/.lock"
if ! flock -w 120 9; then
  log "another postgres.sh holds $D/.lock for 120 s"
  [ "$ACTION" = stop ] && exit 0
  exit 1
fi

case "$ACTION" in
  start) start ;;
  stop) stop || true; exit 0 ;;
  *) usage ;;
esac
