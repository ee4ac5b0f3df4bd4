#!/usr/bin/env bash
# The whole newsflow stack on this machine, on loopback, without Docker.
#
#   infra/local-stack.sh install          system packages, Python venv, Elasticsearch node
#   infra/local-stack.sh up [--deps-only] Redis, PostgreSQL, Elasticsearch (+ migrations, and
#                                         API, workers, scheduler and Prometheus under
#                                         supervisord unless --deps-only)
#   infra/local-stack.sh down             stop everything this script started
#   infra/local-stack.sh status           what runs, where it listens, how often it restarted
#   infra/local-stack.sh env              the NEWSFLOW_* settings of the local stack
#   infra/local-stack.sh stop|start|restart SERVICE
#                                         one process: redis|postgres|elasticsearch (the
#                                         reliability tests use these) or a supervised one:
#                                         api|worker-ingest|worker-enrich|worker-index|
#                                         worker-feeds|worker-alerts|scheduler|prometheus
#
# The README, the tests and CI all use this one script. State lives in .local/ (git-ignored).
# Another stack beside it: NEWSFLOW_STACK_DIR, NEWSFLOW_STACK_{REDIS,PG,ES,ES_TRANSPORT,API}_PORT,
# NEWSFLOW_STACK_METRICS_PORT (the first of the five worker metrics ports) and
# NEWSFLOW_STACK_PROMETHEUS_PORT.
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
METRICS_PORT="${NEWSFLOW_STACK_METRICS_PORT:-9101}"  # ingest enrich index scheduler feeds alerts: +0..5
PROMETHEUS_PORT="${NEWSFLOW_STACK_PROMETHEUS_PORT:-9090}"
WORKERS=(ingest enrich index scheduler feeds alerts)
SUPERVISED=(api worker-ingest worker-enrich worker-index worker-feeds worker-alerts scheduler)
SUPERVISOR_CONF="$STATE/supervisor/supervisord.conf"
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
NEWSFLOW_STACK_DIR=$STATE
EOF
}

metrics_port() {  # metrics_port WORKER: the port its main process serves metrics on
  local i
  for i in "${!WORKERS[@]}"; do
    [ "${WORKERS[$i]}" = "$1" ] && { echo $((METRICS_PORT + i)); return 0; }
  done
  return 1
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
  command -v supervisord >/dev/null || apt_install supervisor
  command -v prometheus >/dev/null || apt_install prometheus
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
  # Append-only file, fsync every second, like docker-compose.yml: a restart keeps the queues.
  # (The pipeline also survives an empty Redis: the sweeper re-enqueues.)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir "$STATE/redis" --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" \
    --save "" --appendonly yes --appendfsync everysec
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

# --- supervised processes ----------------------------------------------------------------
# API, workers, scheduler and Prometheus run under supervisord, which starts again any of them
# that dies (a SIGKILLed worker is back within seconds). The dependencies keep their own
# daemons: the reliability tests stop and start them on purpose.

supervisor_program() {  # supervisor_program NAME ENVIRONMENT COMMAND
  cat <<EOF

[program:$1]
command=$3
directory=$ROOT
environment=$2
autostart=true
autorestart=true
startsecs=2
startretries=20
stopasgroup=true
killasgroup=true
stopwaitsecs=60
redirect_stderr=true
stdout_logfile=$LOGS/$1.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=3
EOF
}

program_name() {  # program_name WORKER: its supervisord program
  if [ "$1" = scheduler ]; then echo scheduler; else echo "worker-$1"; fi
}

write_supervisor_conf() {
  local env worker
  # supervisord's environment= syntax: KEY="value",...; a '%' would start an expansion.
  env="$(stack_env | sed -e 's/%/%%/g' -e 's/^\([^=]*\)=\(.*\)$/\1="\2"/' | paste -sd, -)"
  mkdir -p "$STATE/supervisor"
  {
    cat <<EOF
; Written by infra/local-stack.sh at each 'up': edit the script, not this file.
[unix_http_server]
file=$RUN/supervisor.sock
chmod=0700

[supervisord]
logfile=$LOGS/supervisord.log
pidfile=$RUN/supervisord.pid
childlogdir=$LOGS

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$RUN/supervisor.sock
EOF
    supervisor_program api "$env" \
      "$VENV/bin/python -m services.api.server --host 127.0.0.1 --port $API_PORT"
    for worker in "${WORKERS[@]}"; do
      local extra=""
      [ "$worker" = scheduler ] && extra=" --beat"
      supervisor_program "$(program_name "$worker")" \
        "$env,NEWSFLOW_METRICS_PORT=\"$(metrics_port "$worker")\"" \
        "$VENV/bin/newsflow worker $worker --concurrency 1$extra"
    done
    if command -v prometheus >/dev/null; then
      write_prometheus_conf
      supervisor_program prometheus "HOME=\"$STATE/prometheus\"" \
        "$(command -v prometheus) --config.file=$STATE/prometheus/prometheus.yml --storage.tsdb.path=$STATE/prometheus/data --storage.tsdb.retention.time=7d --web.listen-address=127.0.0.1:$PROMETHEUS_PORT"
    fi
  } >"$SUPERVISOR_CONF"
}

write_prometheus_conf() {  # the monitoring kit's rules, scraping this stack's ports
  local worker
  mkdir -p "$STATE/prometheus/data"
  {
    cat <<EOF
# Written by infra/local-stack.sh; infra/monitoring/prometheus.yml is the compose version.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
  - $ROOT/infra/monitoring/rules/*.yml
scrape_configs:
  - job_name: newsflow-api
    static_configs:
      - targets: ["127.0.0.1:$API_PORT"]
        labels: {service: api}
  - job_name: newsflow-workers
    static_configs:
EOF
    for worker in "${WORKERS[@]}"; do
      printf '      - targets: ["127.0.0.1:%s"]\n        labels: {service: %s}\n' \
        "$(metrics_port "$worker")" "$(program_name "$worker")"
    done
  } >"$STATE/prometheus/prometheus.yml"
}

supervisorctl_() { supervisorctl -c "$SUPERVISOR_CONF" "$@"; }

start_supervisor() {
  write_supervisor_conf
  if pid_alive "$RUN/supervisord.pid"; then
    supervisorctl_ update >/dev/null   # programs added or changed since the last 'up'
    supervisorctl_ start all >/dev/null || true
  else
    # Its log starts again with it: `status` counts restarts since this start.
    : >"$LOGS/supervisord.log"
    supervisord -c "$SUPERVISOR_CONF"
  fi
}

start_services() {
  (set -a; eval "$(stack_env)"; set +a; cd "$ROOT"
   "$VENV/bin/newsflow" db upgrade && "$VENV/bin/newsflow" index init) >>"$LOGS/migrate.log" 2>&1 ||
    die "migrations failed: $(tail -5 "$LOGS/migrate.log")"
  start_supervisor
  wait_for api 60 curl -fsS "http://127.0.0.1:$API_PORT/readyz"
  say "api on http://127.0.0.1:$API_PORT; workers, scheduler (and prometheus) under supervisord ('status' says where)"
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

stop_supervisor() {
  pid_alive "$RUN/supervisord.pid" || { rm -f "$RUN/supervisord.pid"; return 0; }
  local pid; pid="$(cat "$RUN/supervisord.pid")"
  # Stops every program (TERM to each process group, KILL after stopwaitsecs), then itself.
  supervisorctl_ shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RUN/supervisord.pid"
  say "stopped supervisord and its programs"
}

cmd_down() {
  stop_supervisor
  # (api and worker pid files: stacks started before supervisord ran them)
  for name in scheduler worker-alerts worker-feeds worker-index worker-enrich worker-ingest api elasticsearch redis; do
    stop_pidfile "$name"
  done
  stop_postgres
}

# stop|start|restart one dependency, leaving the rest of the stack as it is.
cmd_service() {  # cmd_service ACTION SERVICE
  local action=$1 service=${2:-}
  case "$service" in
    redis|postgres|elasticsearch) ;;
    api|worker-ingest|worker-enrich|worker-index|worker-feeds|worker-alerts|scheduler|prometheus)
      pid_alive "$RUN/supervisord.pid" || die "the stack's services are not running ('up' first)"
      supervisorctl_ "$action" "$service"
      return ;;
    *) die "usage: $0 $action redis|postgres|elasticsearch|api|worker-ingest|worker-enrich|worker-index|worker-feeds|worker-alerts|scheduler|prometheus" ;;
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

restarts() {  # restarts PROGRAM: how often supervisord started it again since its own start
  local spawned
  spawned="$(grep -c "spawned: '$1' " "$LOGS/supervisord.log" 2>/dev/null || true)"
  spawned="${spawned:-0}"
  if [ "$spawned" -gt 0 ]; then echo $((spawned - 1)); else echo 0; fi
}

status_line() { printf '%-15s %-9s %-9s %s\n' "$@"; }

cmd_status() {
  local name bin state listens line
  status_line PROCESS STATE RESTARTS LISTENS
  if pid_alive "$RUN/redis.pid"; then state=RUNNING; else state=STOPPED; fi
  status_line redis "$state" - "redis://127.0.0.1:$REDIS_PORT"
  bin="$(pg_bin)"
  if [ -n "$bin" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then state=RUNNING
  else state=STOPPED; fi
  status_line postgres "$state" - "postgresql://127.0.0.1:$PG_PORT"
  if pid_alive "$RUN/elasticsearch.pid"; then state=RUNNING; else state=STOPPED; fi
  status_line elasticsearch "$state" - "http://127.0.0.1:$ES_PORT"
  if ! pid_alive "$RUN/supervisord.pid"; then
    status_line supervisord STOPPED - "(api, workers and scheduler are not running)"
    return 0
  fi
  for name in "${SUPERVISED[@]}" prometheus; do
    # "NAME   RUNNING   pid 123, uptime 0:01:02" (exit status 3 when not running)
    line="$(supervisorctl_ status "$name" 2>/dev/null | head -n 1 || true)"
    case "$line" in ""|*"no such process"*) continue ;; esac
    case "$name" in
      api) listens="http://127.0.0.1:$API_PORT (metrics on /metrics)" ;;
      prometheus) listens="http://127.0.0.1:$PROMETHEUS_PORT" ;;
      scheduler) listens="metrics http://127.0.0.1:$(metrics_port scheduler)/metrics" ;;
      *) listens="metrics http://127.0.0.1:$(metrics_port "${name#worker-}")/metrics" ;;
    esac
    status_line "$name" "$(awk '{print $2}' <<<"$line")" "$(restarts "$name")" \
      "$listens  ($(awk '{$1=""; $2=""; sub(/^ +/, ""); print}' <<<"$line"))"
  done
  echo "supervisord pid $(cat "$RUN/supervisord.pid"); logs in $LOGS"
}

case "${1:-}" in
  install) cmd_install ;;
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) stack_env ;;
  stop|start|restart) cmd_service "$@" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
