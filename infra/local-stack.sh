#!/usr/bin/env bash
# The whole newsflow stack on this machine, on loopback, without Docker.
#
#   infra/local-stack.sh install          system packages, Python venv, Elasticsearch node
#   infra/local-stack.sh up [--deps-only] Redis, PostgreSQL, Elasticsearch (+ migrations, API,
#                                         workers and scheduler unless --deps-only)
#   infra/local-stack.sh down             stop everything this script started
#   infra/local-stack.sh status           what runs, and where
#   infra/local-stack.sh env              the NEWSFLOW_* settings of the local stack
#   infra/local-stack.sh stop|start|restart redis|postgres|elasticsearch
#                                         one dependency (the reliability tests use these)
#
# The README, the tests and CI all use this one script. State lives in .local/ (git-ignored).
# Another stack beside it: NEWSFLOW_STACK_DIR, NEWSFLOW_STACK_{REDIS,PG,ES,ES_TRANSPORT,API}_PORT.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${NEWSFLOW_STACK_DIR:-$ROOT/.local}"
RUN="$STATE/run"
LOGS="$STATE/logs"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

REDIS_PORT="${NEWSFLOW_STACK_REDIS_PORT:-6379}"
PG_PORT="${NEWSFLOW_STACK_PG_PORT:-5432}"
ES_PORT="${NEWSFLOW_STACK_ES_PORT:-9200}"
ES_TRANSPORT_PORT="${NEWSFLOW_STACK_ES_TRANSPORT_PORT:-9300}"
API_PORT="${NEWSFLOW_STACK_API_PORT:-8000}"
ES_HEAP="${ES_HEAP:-1g}"
SERVICE_USER=newsflow   # Elasticsearch refuses to run as root
PG_USER=postgres

say() { printf '[local-stack] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

stack_env() {
  cat <<EOF
NEWSFLOW_DATABASE_URL=postgresql+psycopg://newsflow:newsflow@127.0.0.1:$PG_PORT/newsflow
NEWSFLOW_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
NEWSFLOW_ELASTICSEARCH_URL=http://127.0.0.1:$ES_PORT
NEWSFLOW_API_PORT=$API_PORT
EOF
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- install -----------------------------------------------------------------------------

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_system() {
  command -v redis-server >/dev/null || apt_install redis-server
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || apt_install postgresql
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  command -v curl >/dev/null || apt_install curl
  # The console's browser tests drive Debian's Chromium; Playwright never downloads one.
  command -v chromium >/dev/null || apt_install chromium chromium-driver
  id "$SERVICE_USER" >/dev/null 2>&1 ||
    as_root useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
}

install_python() {
  local stamp="$VENV/.installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/pyproject.toml" ]; then return 0; fi
  say "installing the Python environment in .venv"
  [ -x "$PY" ] || python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip >/dev/null
  "$PY" -m pip install -q -e "$ROOT[dev]"
  touch "$stamp"
}

install_elasticsearch() {
  bash "$ROOT/infra/elasticsearch/build-node.sh" "$STATE/elasticsearch/home"
}

cmd_install() {
  mkdir -p "$RUN" "$LOGS"
  install_system
  install_python
  install_elasticsearch
}

# --- processes ---------------------------------------------------------------------------

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for NAME SECONDS COMMAND...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$name did not come up within ${seconds}s (logs in $LOGS)"
}

start_redis() {
  if pid_alive "$RUN/redis.pid"; then return 0; fi
  mkdir -p "$STATE/redis"
  # No persistence: the pipeline must survive an empty Redis (the sweeper re-enqueues).
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir "$STATE/redis" --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" \
    --save "" --appendonly no
  wait_for redis 20 redis-cli -p "$REDIS_PORT" ping
  say "redis on 127.0.0.1:$REDIS_PORT"
}

pg() { as_root runuser -u "$PG_USER" -- "$@"; }

start_postgres() {
  local data="$STATE/postgres/data" bin
  bin="$(pg_bin)"
  if ! pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      as_root chown -R "$PG_USER" "$STATE/postgres"
      pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_root chown -R "$PG_USER" "$STATE/postgres"
    pg "$bin/pg_ctl" -D "$data" -l "$STATE/postgres/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
  fi
  wait_for postgres 30 "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtA)
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='newsflow'")" != 1 ]; then
    "${psql[@]}" -c "CREATE ROLE newsflow LOGIN PASSWORD 'newsflow' CREATEDB"
  fi
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='newsflow'")" != 1 ]; then
    "${psql[@]}" -c "CREATE DATABASE newsflow OWNER newsflow"
  fi
  say "postgresql on 127.0.0.1:$PG_PORT (database newsflow)"
}

es_up() { curl -fsS "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s"; }

start_elasticsearch() {
  local home="$STATE/elasticsearch/home"
  if pid_alive "$RUN/elasticsearch.pid" && es_up >/dev/null 2>&1; then return 0; fi
  [ -x "$home/bin/elasticsearch" ] || install_elasticsearch
  mkdir -p "$STATE/elasticsearch/data" "$STATE/elasticsearch/logs"
  cat >"$home/config/elasticsearch.yml" <<EOF
cluster.name: newsflow-local
node.name: newsflow-local-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
xpack.security.enabled: false
path.data: $STATE/elasticsearch/data
path.logs: $STATE/elasticsearch/logs
# A laptop-sized node: do not refuse writes when the disk is merely fairly full.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
  as_root chown -R "$SERVICE_USER" "$STATE/elasticsearch"
  rm -f "$STATE/elasticsearch/es.pid"  # a stale one would be taken for the new node's
  local java_home
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  as_root runuser -u "$SERVICE_USER" -- env ES_JAVA_HOME="$java_home" \
    ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
    "$home/bin/elasticsearch" -d -p "$STATE/elasticsearch/es.pid" \
    >"$LOGS/elasticsearch.out" 2>&1 || die "elasticsearch failed to start: $(tail -5 "$LOGS/elasticsearch.out")"
  for _ in $(seq 1 20); do [ -f "$STATE/elasticsearch/es.pid" ] && break; sleep 0.5; done
  cp "$STATE/elasticsearch/es.pid" "$RUN/elasticsearch.pid"
  wait_for elasticsearch 120 es_up
  say "elasticsearch on 127.0.0.1:$ES_PORT"
}

start_app() {  # start_app NAME COMMAND...
  local name=$1; shift
  if pid_alive "$RUN/$name.pid"; then return 0; fi
  (
    set -a; eval "$(stack_env)"; set +a
    cd "$ROOT"
    nohup "$@" >>"$LOGS/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
  )
}

start_services() {
  (set -a; eval "$(stack_env)"; set +a; cd "$ROOT"
   "$VENV/bin/newsflow" db upgrade && "$VENV/bin/newsflow" index init) >>"$LOGS/migrate.log" 2>&1 ||
    die "migrations failed: $(tail -5 "$LOGS/migrate.log")"
  start_app api "$VENV/bin/uvicorn" services.api.app:app --host 127.0.0.1 --port "$API_PORT"
  start_app worker-ingest "$VENV/bin/newsflow" worker ingest --concurrency 1
  start_app worker-enrich "$VENV/bin/newsflow" worker enrich --concurrency 1
  start_app worker-index "$VENV/bin/newsflow" worker index --concurrency 1
  start_app worker-feeds "$VENV/bin/newsflow" worker feeds --concurrency 1
  start_app scheduler "$VENV/bin/newsflow" worker scheduler --beat
  wait_for api 60 curl -fsS "http://127.0.0.1:$API_PORT/readyz"
  say "api on http://127.0.0.1:$API_PORT, workers: ingest, enrich, index, feeds, scheduler"
}

cmd_up() {
  local deps_only=0
  [ "${1:-}" = "--deps-only" ] && deps_only=1
  cmd_install
  start_redis
  start_postgres
  start_elasticsearch
  [ "$deps_only" -eq 1 ] || start_services
}

stop_pidfile() {  # stop_pidfile NAME [SIGNAL]
  local file="$RUN/$1.pid" pid
  pid_alive "$file" || { rm -f "$file"; return 0; }
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
  say "stopped $1"
}

stop_postgres() {
  local bin; bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$STATE/postgres/data/PG_VERSION" ] &&
    pg "$bin/pg_ctl" -D "$STATE/postgres/data" status >/dev/null 2>&1; then
    pg "$bin/pg_ctl" -D "$STATE/postgres/data" -m fast -w stop >/dev/null
    say "stopped postgres"
  fi
}

cmd_down() {
  for name in scheduler worker-feeds worker-index worker-enrich worker-ingest api elasticsearch redis; do
    stop_pidfile "$name"
  done
  stop_postgres
}

# stop|start|restart one dependency, leaving the rest of the stack as it is.
cmd_service() {  # cmd_service ACTION SERVICE
  local action=$1 service=${2:-}
  case "$service" in
    redis|postgres|elasticsearch) ;;
    *) die "usage: $0 $action redis|postgres|elasticsearch" ;;
  esac
  mkdir -p "$RUN" "$LOGS"
  if [ "$action" = stop ] || [ "$action" = restart ]; then
    case "$service" in
      postgres) stop_postgres ;;
      *) stop_pidfile "$service" ;;
    esac
  fi
  if [ "$action" = start ] || [ "$action" = restart ]; then
    case "$service" in
      redis) start_redis ;;
      postgres) start_postgres ;;
      elasticsearch) start_elasticsearch ;;
    esac
  fi
}

cmd_status() {
  local name
  for name in redis elasticsearch api worker-ingest worker-enrich worker-index worker-feeds scheduler; do
    if pid_alive "$RUN/$name.pid"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"
    else echo "$name: stopped"; fi
  done
  local bin; bin="$(pg_bin)"
  if [ -n "$bin" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then echo "postgres: running"
  else echo "postgres: stopped"; fi
}

case "${1:-}" in
  install) cmd_install ;;
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) stack_env ;;
  stop|start|restart) cmd_service "$@" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
