#!/usr/bin/env bash
# stack.sh - run the local development stack (Kafka in KRaft mode, PostgreSQL,
# Redis) directly on this machine, without Docker.
#
#   scripts/stack.sh start    start every server, wait until each really answers,
#                             create the database role/db and the Kafka topics
#   scripts/stack.sh stop     stop every server; nothing is left running
#   scripts/stack.sh status   print each server up/down (exit 1 if any is down)
#   scripts/stack.sh topics   create the topics (idempotent) and list them
#   scripts/stack.sh env      print connection settings as shell `export` lines
#   scripts/stack.sh logs [kafka|postgres|redis] [-f]
#
# Prerequisites come from scripts/deps.sh (apt packages, .local/venv,
# .local/kafka-libs). All state (data, logs, pid files) lives in MPC_STACK_DIR
# (default .local/stack, git-ignored). Servers listen on 127.0.0.1 only.
# Settings (environment, with defaults) are documented in docs/local-stack.md:
#   MPC_KAFKA_PORT=19092 MPC_KAFKA_CONTROLLER_PORT=19093 MPC_PG_PORT=15432
#   MPC_REDIS_PORT=16379 MPC_PG_USER=mpc MPC_PG_DB=mpc
#   MPC_PG_PASSWORD=mpc-dev-password MPC_REDIS_PASSWORD=mpc-dev-redis
#   MPC_TOPIC_PARTITIONS=6 MPC_STACK_TIMEOUT=90 MPC_STOP_GRACE=30
#   MPC_KAFKA_HEAP=512m MPC_KAFKA_ADMIN=auto|python|java MPC_PG_DIR=<dir>
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${MPC_STACK_DIR:-$ROOT/.local/stack}"
VENV="${MPC_VENV:-$ROOT/.local/venv}"
KAFKA_LIBS="${MPC_KAFKA_LIBS:-$ROOT/.local/kafka-libs}"
KAFKA_ADMIN_PY="$ROOT/scripts/kafka/kafka_admin.py"

HOST=127.0.0.1
KAFKA_PORT="${MPC_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${MPC_KAFKA_CONTROLLER_PORT:-19093}"
PG_PORT="${MPC_PG_PORT:-15432}"
REDIS_PORT="${MPC_REDIS_PORT:-16379}"
PG_APP_USER="${MPC_PG_USER:-mpc}"
PG_APP_DB="${MPC_PG_DB:-mpc}"
PG_APP_PASSWORD="${MPC_PG_PASSWORD:-mpc-dev-password}"
REDIS_PASSWORD="${MPC_REDIS_PASSWORD:-mpc-dev-redis}"
TOPIC_PARTITIONS="${MPC_TOPIC_PARTITIONS:-6}"
START_TIMEOUT="${MPC_STACK_TIMEOUT:-90}"
STOP_GRACE="${MPC_STOP_GRACE:-30}"
KAFKA_HEAP="${MPC_KAFKA_HEAP:-512m}"
KAFKA_ADMIN="${MPC_KAFKA_ADMIN:-auto}"

LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"
KAFKA_DIR="$STACK_DIR/kafka"
KAFKA_CONF="$KAFKA_DIR/server.properties"
KAFKA_PIDFILE="$RUN_DIR/kafka.pid"
KAFKA_LOG="$LOG_DIR/kafka.log"
KAFKA_OUT="$LOG_DIR/kafka.out"
REDIS_DIR="$STACK_DIR/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PIDFILE="$RUN_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"
PG_LOCATION_FILE="$STACK_DIR/postgres.location"
# PG_BASE/PG_DATA/PG_SOCK/PG_LOG are set by pg_locate.
PG_BASE="" PG_DATA="" PG_SOCK="" PG_LOG=""

# ---------------------------------------------------------------- helpers ---

log() { printf 'stack: %s\n' "$*"; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }

# Dies with message $2 after showing the last lines of log file $1.
die_with_log() {
  if [[ -s "$1" ]]; then
    printf 'stack: last lines of %s:\n' "$1" >&2
    tail -n 8 "$1" | sed 's/^/    /' >&2
  fi
  die "$2"
}

# Validates the settings once, before anything is touched.
check_settings() {
  local name value
  for name in KAFKA_PORT KAFKA_CONTROLLER_PORT PG_PORT REDIS_PORT; do
    value="${!name}"
    if ! [[ "$value" =~ ^[0-9]+$ ]] || ((value < 1024 || value > 65535)); then
      die "MPC_$name='$value' is not a port number in 1024..65535"
    fi
  done
  [[ "$(printf '%s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$PG_PORT" "$REDIS_PORT" | sort -u | wc -l)" -eq 4 ]] ||
    die "MPC_KAFKA_PORT, MPC_KAFKA_CONTROLLER_PORT, MPC_PG_PORT and MPC_REDIS_PORT must all differ"
  [[ "$TOPIC_PARTITIONS" =~ ^[1-9][0-9]*$ ]] || die "MPC_TOPIC_PARTITIONS='$TOPIC_PARTITIONS' must be a positive integer"
  [[ "$START_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "MPC_STACK_TIMEOUT='$START_TIMEOUT' must be a positive integer (seconds)"
  [[ "$STOP_GRACE" =~ ^[1-9][0-9]*$ ]] || die "MPC_STOP_GRACE='$STOP_GRACE' must be a positive integer (seconds)"
  [[ "$STACK_DIR" == /* && "$STACK_DIR" =~ ^[A-Za-z0-9_./+@:=-]+$ ]] ||
    die "MPC_STACK_DIR='$STACK_DIR' must be an absolute path without spaces or quotes"
  [[ "$REDIS_PASSWORD" =~ ^[A-Za-z0-9_.~+=@:/-]+$ ]] ||
    die "MPC_REDIS_PASSWORD may only contain letters, digits and _.~+=@:/-"
  [[ "$PG_APP_USER" =~ ^[a-z_][a-z0-9_]*$ && "$PG_APP_DB" =~ ^[a-z_][a-z0-9_]*$ ]] ||
    die "MPC_PG_USER and MPC_PG_DB must be lower-case SQL identifiers"
  [[ "$KAFKA_ADMIN" =~ ^(auto|python|java)$ ]] || die "MPC_KAFKA_ADMIN must be auto, python or java"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# True when process $1 exists and is not a zombie (an exited process that its
# parent has not reaped yet counts as gone).
pid_alive() {
  local line
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  line="${line##*) }"
  [[ "${line:0:1}" != Z ]]
}

# Prints the command line of pid $1 with its arguments joined by spaces.
pid_cmdline() {
  local args=()
  mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
  echo "${args[*]}"
}

# True when process $1 is alive and its command line contains $2.
pid_cmdline_has() {
  local cmdline
  pid_alive "$1" && cmdline="$(pid_cmdline "$1")" && [[ "$cmdline" == *"$2"* ]]
}

# Prints the pid stored in file $1 (nothing when absent or malformed).
read_pidfile() {
  local pid=""
  [[ -r "$1" ]] && read -r pid <"$1" || true
  [[ "$pid" =~ ^[0-9]+$ ]] && echo "$pid" || true
}

# Waits up to $2 seconds for pid $1 to exit; false if it is still alive.
wait_pid_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Sends SIGTERM to the given pids, then SIGKILL after STOP_GRACE seconds.
terminate_pids() {
  local what="$1" pid
  shift
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for pid in "$@"; do
    if ! wait_pid_exit "$pid" "$STOP_GRACE"; then
      warn "$what pid $pid still running after ${STOP_GRACE}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_pid_exit "$pid" 5 || die "$what pid $pid survived SIGKILL"
    fi
  done
}

# Prints the pids of the direct children of pid $1.
child_pids() {
  local stat line fields pid
  for stat in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$stat" || continue
    # After "pid (comm) " come: state ppid ... (comm itself may hold spaces).
    read -r -a fields <<<"${line##*) }"
    pid="${stat#/proc/}"
    [[ "${fields[1]:-}" == "$1" ]] && echo "${pid%/stat}"
  done
  return 0
}

# Prints the pids whose command line contains $1; finds this stack's servers
# even when a pid file is gone. Patterns are specific ("kafka.Kafka <conf>",
# "-D <datadir>") so that an editor or tail on the same file never matches.
pids_with_cmdline() {
  local f pid cmdline
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    cmdline="$(pid_cmdline "$pid")" || continue
    [[ "$cmdline" == *"$1"* ]] && echo "$pid"
  done
  return 0
}

# Runs "$@" until it succeeds or $2 seconds pass; $1 names the server.
retry_until() {
  local what="$1" timeout="$2" deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# Serializes start/stop on one stack dir (fd 9 stays open until exit; server
# launches close it so that no server inherits the lock).
lock_stack() {
  exec 9>"$RUN_DIR/lock"
  flock -w 300 9 || die "another scripts/stack.sh start/stop holds $RUN_DIR/lock"
}

prepare_dirs() {
  mkdir -p "$STACK_DIR" "$LOG_DIR" "$RUN_DIR" "$KAFKA_DIR" "$REDIS_DIR"
  chmod 755 "$STACK_DIR"
}

# Dies unless nothing listens on port $1 (the server $2 of this stack is down).
require_free_port() {
  port_open "$1" &&
    die "127.0.0.1:$1 is already in use by a process that is not this stack's $2; stop it or set $3 to another port"
  return 0
}

# ------------------------------------------------------------------ kafka ---

# Runs a Kafka command-line tool class (bounded by KAFKA_TOOL_TIMEOUT seconds).
kafka_java() {
  local class="$1"
  shift
  timeout "${KAFKA_TOOL_TIMEOUT:-120}" java -Xmx256m -XX:TieredStopAtLevel=1 -cp "$KAFKA_LIBS/*" \
    -Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" "$class" "$@"
}

kafka_check_prereqs() {
  command -v java >/dev/null 2>&1 || die "java not found; run scripts/deps.sh"
  compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null ||
    die "Kafka jars not found in $KAFKA_LIBS; run scripts/deps.sh"
}

# Prints the broker pid when this stack's broker is running (the pid file, or
# a scan of the process table when the pid file is gone).
kafka_pid() {
  local pid
  pid="$(read_pidfile "$KAFKA_PIDFILE")"
  if pid_cmdline_has "$pid" "kafka.Kafka $KAFKA_CONF"; then
    echo "$pid"
  else
    pids_with_cmdline "kafka.Kafka $KAFKA_CONF" | head -n1
  fi
}

# Python admin (fast) when the venv has confluent-kafka, else the Java tools.
kafka_admin_mode() {
  case "$KAFKA_ADMIN" in
    python | java) echo "$KAFKA_ADMIN" ;;
    auto)
      if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import confluent_kafka' >/dev/null 2>&1; then
        echo python
      else
        echo java
      fi
      ;;
  esac
}

kafka_write_config() {
  cat >"$KAFKA_CONF" <<EOF
# Generated by scripts/stack.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data
auto.create.topics.enable=false
num.partitions=$TOPIC_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<EOF
# Generated by scripts/stack.sh: broker log goes to $KAFKA_LOG
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_LOG
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  cat >"$KAFKA_DIR/tools-log4j.properties" <<'EOF'
# Generated by scripts/stack.sh: command-line tools log warnings to stderr.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# Prints a random Kafka cluster id (16 random bytes, URL-safe base64, as
# `kafka-storage.sh random-uuid` makes; saves one JVM start-up).
kafka_random_uuid() {
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { echo "$id"; return 0; }
  done
}

# Formats the KRaft storage once (when the data dir has no meta.properties).
kafka_format_storage() {
  [[ -f "$KAFKA_DIR/data/meta.properties" ]] && return 0
  local id
  [[ -s "$KAFKA_DIR/cluster-id" ]] || kafka_random_uuid >"$KAFKA_DIR/cluster-id"
  id="$(cat "$KAFKA_DIR/cluster-id")"
  log "kafka: formatting KRaft storage (cluster id $id)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_CONF" --ignore-formatted \
    >>"$KAFKA_OUT" 2>&1 || die "kafka: formatting storage failed; see $KAFKA_OUT"
}

# Starts the broker in the background (its own session) and records its pid.
kafka_launch() {
  log "kafka: starting broker+controller on $HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  rm -f "$KAFKA_PIDFILE"
  # `sh` writes its own pid, then execs java: the pid file names the JVM.
  # shellcheck disable=SC2016 # $$, $1, $@ are expanded by that sh.
  setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$KAFKA_PIDFILE" \
    java "-Xmx$KAFKA_HEAP" "-Xms$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF" \
    </dev/null >>"$KAFKA_OUT" 2>&1 9>&- &
  local i
  for i in $(seq 50); do
    [[ -s "$KAFKA_PIDFILE" ]] && return 0
    sleep 0.1
  done
  die "kafka: no pid file after launch; see $KAFKA_OUT"
}

# True when the broker answers a metadata request within $1 seconds.
kafka_answers() {
  local timeout="$1"
  if [[ "$(kafka_admin_mode)" == python ]]; then
    "$VENV/bin/python" "$KAFKA_ADMIN_PY" wait --bootstrap "$HOST:$KAFKA_PORT" --timeout "$timeout" >/dev/null 2>&1
  else
    KAFKA_TOOL_TIMEOUT=$((timeout + 15)) kafka_java kafka.admin.BrokerApiVersionsCommand \
      --bootstrap-server "$HOST:$KAFKA_PORT" >/dev/null 2>&1
  fi
}

# Waits until the broker process is up, its port is open and it answers.
kafka_wait_ready() {
  local pid deadline=$((SECONDS + START_TIMEOUT))
  pid="$(kafka_pid)"
  until port_open "$KAFKA_PORT"; do
    pid_alive "$pid" || die_with_log "$KAFKA_OUT" "kafka: broker exited during start-up; see $KAFKA_OUT and $KAFKA_LOG"
    ((SECONDS < deadline)) || die_with_log "$KAFKA_LOG" "kafka: port $KAFKA_PORT not open after ${START_TIMEOUT}s; see $KAFKA_LOG"
    sleep 0.3
  done
  until kafka_answers 5; do
    pid_alive "$pid" || die_with_log "$KAFKA_OUT" "kafka: broker exited during start-up; see $KAFKA_OUT and $KAFKA_LOG"
    ((SECONDS < deadline)) || die_with_log "$KAFKA_LOG" "kafka: broker does not answer metadata requests after ${START_TIMEOUT}s; see $KAFKA_LOG"
  done
  log "kafka: ready on $HOST:$KAFKA_PORT (pid $pid)"
}

kafka_start() {
  local pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    log "kafka: already running (pid $pid)"
    echo "$pid" >"$KAFKA_PIDFILE"
    return 0
  fi
  mkdir -p "$KAFKA_DIR/data"
  kafka_write_config
  kafka_format_storage
  kafka_launch
}

kafka_stop() {
  local pids
  mapfile -t pids < <({ kafka_pid; pids_with_cmdline "kafka.Kafka $KAFKA_CONF"; } | sort -u)
  if [[ ${#pids[@]} -eq 0 ]]; then
    log "kafka: not running"
  else
    log "kafka: stopping pid ${pids[*]}"
    terminate_pids kafka "${pids[@]}"
  fi
  rm -f "$KAFKA_PIDFILE"
}

# Creates the DESIGN.md section 2 topics (idempotent) with the Java tools.
kafka_topics_java() {
  local topic args
  for topic in mpc.keygen.requests mpc.sign.requests mpc.rounds mpc.results mpc.nodes mpc.dlq; do
    args=(--bootstrap-server "$HOST:$KAFKA_PORT" --create --if-not-exists --topic "$topic"
      --partitions "$TOPIC_PARTITIONS" --replication-factor 1)
    [[ "$topic" == mpc.nodes ]] && args+=(--config cleanup.policy=compact)
    kafka_java org.apache.kafka.tools.TopicCommand "${args[@]}" >/dev/null ||
      die "kafka: creating topic $topic failed"
  done
  log "kafka: topics ensured (Java TopicCommand)"
}

# Creates the topics (idempotent); with "describe", also lists them.
kafka_topics() {
  local describe="${1:-}"
  if [[ "$(kafka_admin_mode)" == python ]]; then
    "$VENV/bin/python" "$KAFKA_ADMIN_PY" ensure --bootstrap "$HOST:$KAFKA_PORT" \
      --partitions "$TOPIC_PARTITIONS" --timeout 30 | sed 's/^kafka: /stack: kafka: /' ||
      die "kafka: creating topics failed (is the stack up? scripts/stack.sh status)"
    [[ -z "$describe" ]] ||
      "$VENV/bin/python" "$KAFKA_ADMIN_PY" describe --bootstrap "$HOST:$KAFKA_PORT" --timeout 30
  else
    kafka_topics_java
    [[ -z "$describe" ]] ||
      kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
        --describe --exclude-internal | grep "^Topic:"
  fi
}

# --------------------------------------------------------------- postgres ---

# Prints the OS user that owns and runs the PostgreSQL cluster.
pg_os_user() {
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 ||
      die "postgres: running as root needs the 'postgres' system user (apt-get install postgresql; or run scripts/deps.sh)"
    echo postgres
  else
    id -un
  fi
}

# Runs "$@" as the cluster's OS user, from / so its cwd is always readable.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Sets PG_BASE, PG_DATA, PG_SOCK, PG_LOG. With "create", creates PG_BASE and,
# if the cluster user cannot reach the default place, picks one it can.
pg_locate() {
  local mode="${1:-}" fallback
  if [[ -n "${MPC_PG_DIR:-}" ]]; then
    PG_BASE="$MPC_PG_DIR"
  elif [[ -s "$PG_LOCATION_FILE" ]]; then
    PG_BASE="$(cat "$PG_LOCATION_FILE")"
  else
    PG_BASE="$STACK_DIR/postgres"
  fi
  if [[ "$mode" == create ]]; then
    mkdir -p "$PG_BASE"
    [[ $EUID -eq 0 ]] && chown "$(pg_os_user):" "$PG_BASE"
    chmod 700 "$PG_BASE"
    if ! as_pg test -w "$PG_BASE" -a -x "$PG_BASE"; then
      [[ -z "${MPC_PG_DIR:-}" ]] || die "postgres: user $(pg_os_user) cannot write MPC_PG_DIR=$MPC_PG_DIR"
      fallback="/var/lib/postgresql/mpc-stack-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)"
      warn "postgres: user $(pg_os_user) cannot reach $PG_BASE (a parent directory is not searchable);"
      warn "postgres: the cluster goes to $fallback instead (recorded in $PG_LOCATION_FILE)"
      rmdir "$PG_BASE" 2>/dev/null || true
      PG_BASE="$fallback"
      mkdir -p "$PG_BASE"
      chown "$(pg_os_user):" "$PG_BASE"
      chmod 700 "$PG_BASE"
      as_pg test -w "$PG_BASE" || die "postgres: user $(pg_os_user) cannot write $PG_BASE either"
      echo "$PG_BASE" >"$PG_LOCATION_FILE"
    fi
  fi
  PG_DATA="$PG_BASE/data"
  PG_SOCK="$PG_BASE/run"
  PG_LOG="$PG_BASE/postgres.log"
}

# Prints the server bin directory: the cluster's version if it exists, else the
# newest installed (MPC_PG_BIN overrides).
pg_bin() {
  local version dir
  if [[ -n "${MPC_PG_BIN:-}" ]]; then
    echo "$MPC_PG_BIN"
    return 0
  fi
  if [[ -r "$PG_DATA/PG_VERSION" ]]; then
    version="$(cat "$PG_DATA/PG_VERSION")"
    dir="/usr/lib/postgresql/$version/bin"
    [[ -x "$dir/postgres" ]] || die "postgres: cluster $PG_DATA is version $version but $dir/postgres is missing"
    echo "$dir"
    return 0
  fi
  dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  [[ -n "$dir" && -x "$dir/initdb" ]] ||
    die "postgres: no server binaries in /usr/lib/postgresql/*/bin; run scripts/deps.sh (apt-get install postgresql)"
  echo "$dir"
}

# Prints the postmaster pid when this stack's cluster is running.
pg_pid() {
  local pid
  [[ -n "$PG_DATA" ]] || return 0
  pid="$(read_pidfile "$PG_DATA/postmaster.pid")"
  if pid_cmdline_has "$pid" "-D $PG_DATA "; then
    echo "$pid"
  else
    pids_with_cmdline "postgres -D $PG_DATA " | head -n1
  fi
}

# Creates the cluster once: superuser = the cluster's OS user (peer auth on the
# private unix socket), every TCP login needs a scram-sha-256 password.
pg_init() {
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  local bin
  bin="$(pg_bin)"
  log "postgres: initdb $PG_DATA ($bin)"
  as_pg "$bin/initdb" -D "$PG_DATA" -U "$(pg_os_user)" -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1 ||
    die_with_log "$LOG_DIR/initdb.log" "postgres: initdb failed; see $LOG_DIR/initdb.log"
  # shellcheck disable=SC2016 # "$1" is expanded by the inner sh.
  as_pg sh -c 'cat >"$1/pg_hba.conf"' sh "$PG_DATA" <<'EOF'
# Generated by scripts/stack.sh.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
EOF
  # shellcheck disable=SC2016
  as_pg sh -c 'cat >>"$1/postgresql.conf"' sh "$PG_DATA" <<'EOF'

# Added by scripts/stack.sh (port, address and socket are passed on start).
password_encryption = scram-sha-256
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = off
EOF
}

# After a crash or reboot, postmaster.pid and the socket lock file may name a
# pid that now belongs to an unrelated process, which stops postgres from
# starting. Called only when this cluster's postmaster is not running.
pg_clear_stale_lock_files() {
  local f
  for f in "$PG_DATA/postmaster.pid" "$PG_SOCK"/.s.PGSQL.*.lock; do
    [[ -e "$f" ]] || continue
    warn "postgres: removing stale $f (left by a postmaster that is gone)"
    rm -f "$f"
  done
}

pg_launch() {
  local bin
  bin="$(pg_bin)"
  mkdir -p "$PG_SOCK"
  [[ $EUID -eq 0 ]] && chown "$(pg_os_user):" "$PG_SOCK"
  chmod 700 "$PG_SOCK"
  ln -sfn "$PG_LOG" "$LOG_DIR/postgres.log"
  log "postgres: starting on $HOST:$PG_PORT"
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" \
    -o "-p $PG_PORT -c listen_addresses=$HOST -k $PG_SOCK" start >/dev/null 9>&- ||
    die_with_log "$PG_LOG" "postgres: server did not start; see $PG_LOG"
}

# Creates (or updates) the application role and database; the role's password
# is always reset to MPC_PG_PASSWORD. Passed through the environment, so it
# never appears on a command line.
pg_provision() {
  local bin
  bin="$(pg_bin)"
  MPC_PG_PASSWORD="$PG_APP_PASSWORD" as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 \
    -h "$PG_SOCK" -p "$PG_PORT" -U "$(pg_os_user)" -d postgres \
    -v app_user="$PG_APP_USER" -v app_db="$PG_APP_DB" >/dev/null <<'EOF' ||
\getenv app_password MPC_PG_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') \gexec
EOF
    die "postgres: creating role $PG_APP_USER / database $PG_APP_DB failed; see $PG_LOG"
}

# True when the app user can log in over TCP with its password and run a query.
pg_answers() {
  local bin
  bin="$(pg_bin)"
  "$bin/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 3 &&
    [[ "$(PGPASSWORD="$PG_APP_PASSWORD" PGCONNECT_TIMEOUT=3 "$bin/psql" -X -tA -h "$HOST" -p "$PG_PORT" \
      -U "$PG_APP_USER" -d "$PG_APP_DB" -c 'SELECT 1' 2>/dev/null)" == 1 ]]
}

pg_wait_ready() {
  retry_until postgres "$START_TIMEOUT" "$(pg_bin)/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 3 ||
    die "postgres: not accepting connections after ${START_TIMEOUT}s; see $PG_LOG"
  pg_provision
  retry_until postgres 15 pg_answers ||
    die "postgres: $PG_APP_USER cannot log in to $HOST:$PG_PORT/$PG_APP_DB with MPC_PG_PASSWORD; see $PG_LOG"
  log "postgres: ready on $HOST:$PG_PORT (pid $(pg_pid), user $PG_APP_USER, db $PG_APP_DB)"
}

pg_start() {
  pg_locate create
  local pid
  pid="$(pg_pid)"
  if [[ -n "$pid" ]]; then
    log "postgres: already running (pid $pid)"
    return 0
  fi
  pg_init
  pg_clear_stale_lock_files
  pg_launch
}

pg_stop() {
  pg_locate
  local pid pids bin
  pid="$(pg_pid)"
  # Remember the postmaster's children: they must be gone afterwards too.
  mapfile -t pids < <({ [[ -z "$pid" ]] || { echo "$pid"; child_pids "$pid"; }; pids_with_cmdline "postgres -D $PG_DATA "; } | sort -u)
  if [[ ${#pids[@]} -eq 0 ]]; then
    log "postgres: not running"
    return 0
  fi
  log "postgres: stopping pid ${pids[*]}"
  if [[ -n "$pid" ]]; then
    bin="$(pg_bin)"
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STOP_GRACE" stop >/dev/null 2>&1 ||
      warn "postgres: pg_ctl stop failed; killing"
  fi
  terminate_pids postgres "${pids[@]}"
}

# ------------------------------------------------------------------ redis ---

# Prints the redis-server pid when this stack's Redis is running (the pid file,
# or a process titled "redis-server 127.0.0.1:<port>" when the file is gone).
redis_pid() {
  local pid
  pid="$(read_pidfile "$REDIS_PIDFILE")"
  if pid_alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]]; then
    echo "$pid"
  else
    pids_with_cmdline "redis-server $HOST:$REDIS_PORT" | head -n1
  fi
}

redis_write_config() {
  (
    umask 077
    cat >"$REDIS_CONF" <<EOF
# Generated by scripts/stack.sh on every start (contains the password: 0600).
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PIDFILE
logfile $REDIS_LOG
loglevel notice
dir $REDIS_DIR
dbfilename dump.rdb
save 3600 1 300 100 60 10000
appendonly no
requirepass $REDIS_PASSWORD
EOF
  )
}

# Starts redis-server, which daemonizes itself and writes its pid file once it
# listens (a bind error exits before that).
redis_launch() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found; run scripts/deps.sh"
  log "redis: starting on $HOST:$REDIS_PORT"
  rm -f "$REDIS_PIDFILE"
  redis-server "$REDIS_CONF" </dev/null >>"$REDIS_LOG" 2>&1 9>&- ||
    die_with_log "$REDIS_LOG" "redis: redis-server failed to start; see $REDIS_LOG"
  local i
  for i in $(seq 100); do
    [[ -n "$(redis_pid)" ]] && return 0
    sleep 0.1
  done
  die_with_log "$REDIS_LOG" "redis: redis-server is not running 10s after launch; see $REDIS_LOG"
}

redis_answers() {
  [[ "$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 5 redis-cli -h "$HOST" -p "$REDIS_PORT" PING 2>/dev/null)" == PONG ]]
}

redis_wait_ready() {
  retry_until redis "$START_TIMEOUT" redis_answers ||
    die "redis: no PONG from $HOST:$REDIS_PORT after ${START_TIMEOUT}s; see $REDIS_LOG"
  log "redis: ready on $HOST:$REDIS_PORT (pid $(redis_pid))"
}

redis_start() {
  local pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]]; then
    log "redis: already running (pid $pid)"
    return 0
  fi
  redis_write_config
  redis_launch
}

redis_stop() {
  local pid
  pid="$(redis_pid)"
  if [[ -z "$pid" ]]; then
    log "redis: not running"
  else
    log "redis: stopping pid $pid"
    terminate_pids redis "$pid"
  fi
  rm -f "$REDIS_PIDFILE"
}

# --------------------------------------------------------------- commands ---

# Before anything starts: every server that is down has its prerequisites and
# free ports, so a conflict fails fast instead of leaving half a stack running.
preflight() {
  if [[ -z "$(kafka_pid)" ]]; then
    kafka_check_prereqs
    require_free_port "$KAFKA_PORT" kafka MPC_KAFKA_PORT
    require_free_port "$KAFKA_CONTROLLER_PORT" "kafka controller" MPC_KAFKA_CONTROLLER_PORT
  fi
  if [[ -z "$(pg_pid)" ]]; then
    pg_bin >/dev/null
    require_free_port "$PG_PORT" postgres MPC_PG_PORT
  fi
  if [[ -z "$(redis_pid)" ]]; then
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found; run scripts/deps.sh"
    require_free_port "$REDIS_PORT" redis MPC_REDIS_PORT
  fi
  [[ "$(kafka_admin_mode)" == python ]] ||
    warn "kafka: $VENV has no confluent-kafka (run scripts/deps.sh); using the slower Java tools"
}

# Exit trap of `start`: on failure, say what is left running.
start_failed_hint() {
  local rc=$?
  [[ $rc -eq 0 ]] ||
    printf 'stack: start failed; servers that did come up keep running (scripts/stack.sh status, scripts/stack.sh stop)\n' >&2
}

cmd_start() {
  local t0=$SECONDS
  trap start_failed_hint EXIT
  prepare_dirs
  lock_stack
  pg_locate
  preflight
  kafka_start          # the JVM boots in the background while the others start
  pg_start
  redis_start
  kafka_wait_ready
  pg_wait_ready
  redis_wait_ready
  kafka_topics
  log "stack up in $((SECONDS - t0))s (data in $STACK_DIR; 'scripts/stack.sh env' prints the settings)"
}

cmd_stop() {
  [[ -d "$RUN_DIR" ]] && lock_stack
  pg_locate
  kafka_stop
  pg_stop
  redis_stop
  local left
  left="$( { kafka_pid; pg_pid; redis_pid; } | sort -u | tr '\n' ' ')"
  [[ -z "${left// /}" ]] || die "processes still running after stop: $left"
  log "stack stopped; no server process left"
}

# Prints one status line; $1 name, $2 pid, $3 address, $4 answer-check command.
status_line() {
  local name="$1" pid="$2" addr="$3"
  shift 3
  if [[ -n "$pid" ]] && "$@"; then
    printf '%-9s up    pid %-8s %s\n' "$name" "$pid" "$addr"
  elif [[ -n "$pid" ]]; then
    printf '%-9s DOWN  pid %-8s %s (process runs but does not answer)\n' "$name" "$pid" "$addr"
    return 1
  else
    printf '%-9s DOWN  %-12s %s\n' "$name" "-" "$addr"
    return 1
  fi
}

cmd_status() {
  local rc=0
  pg_locate
  status_line kafka "$(kafka_pid)" "$HOST:$KAFKA_PORT" kafka_answers 5 || rc=1
  status_line postgres "$(pg_pid)" "$HOST:$PG_PORT" pg_answers || rc=1
  status_line redis "$(redis_pid)" "$HOST:$REDIS_PORT" redis_answers || rc=1
  return $rc
}

cmd_topics() {
  port_open "$KAFKA_PORT" || die "kafka is not running on $HOST:$KAFKA_PORT; run scripts/stack.sh start"
  kafka_topics describe
}

# Percent-encodes $1 for use inside a URL.
urlencode() {
  local s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  echo "$out"
}

cmd_env() {
  local var
  local -A vals=(
    [MPC_STACK_DIR]="$STACK_DIR"
    [MPC_KAFKA_BROKERS]="$HOST:$KAFKA_PORT"
    [MPC_KAFKA_PORT]="$KAFKA_PORT"
    [MPC_KAFKA_CONTROLLER_PORT]="$KAFKA_CONTROLLER_PORT"
    [MPC_TOPIC_PARTITIONS]="$TOPIC_PARTITIONS"
    [MPC_PG_PORT]="$PG_PORT"
    [MPC_PG_USER]="$PG_APP_USER"
    [MPC_PG_DB]="$PG_APP_DB"
    [MPC_PG_PASSWORD]="$PG_APP_PASSWORD"
    [MPC_PG_DSN]="postgresql://$(urlencode "$PG_APP_USER"):$(urlencode "$PG_APP_PASSWORD")@$HOST:$PG_PORT/$PG_APP_DB"
    [MPC_REDIS_PORT]="$REDIS_PORT"
    [MPC_REDIS_PASSWORD]="$REDIS_PASSWORD"
    [MPC_REDIS_URL]="redis://default:$(urlencode "$REDIS_PASSWORD")@$HOST:$REDIS_PORT/0"
  )
  for var in MPC_STACK_DIR MPC_KAFKA_BROKERS MPC_KAFKA_PORT MPC_KAFKA_CONTROLLER_PORT \
    MPC_TOPIC_PARTITIONS MPC_PG_DSN MPC_PG_PORT MPC_PG_USER MPC_PG_DB MPC_PG_PASSWORD \
    MPC_REDIS_URL MPC_REDIS_PORT MPC_REDIS_PASSWORD; do
    printf 'export %s=%q\n' "$var" "${vals[$var]}"
  done
}

cmd_logs() {
  local which="all" follow="" files=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      kafka | postgres | redis) which="$1" ;;
      -f | --follow) follow=1 ;;
      *) die "usage: scripts/stack.sh logs [kafka|postgres|redis] [-f]" ;;
    esac
    shift
  done
  pg_locate
  [[ "$which" == all || "$which" == kafka ]] && files+=("$KAFKA_LOG" "$KAFKA_OUT")
  [[ "$which" == all || "$which" == postgres ]] && files+=("$PG_LOG")
  [[ "$which" == all || "$which" == redis ]] && files+=("$REDIS_LOG")
  if [[ -n "$follow" ]]; then
    exec tail -n 20 -F "${files[@]}"
  fi
  local f
  for f in "${files[@]}"; do
    echo "==> $f <=="
    if [[ -r "$f" ]]; then tail -n 40 "$f"; else echo "(no log yet)"; fi
  done
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  check_settings
  case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    topics) cmd_topics ;;
    env) cmd_env ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
