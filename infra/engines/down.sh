#!/usr/bin/env bash
# Stop the engines started by infra/engines/up.sh: SIGTERM, then SIGKILL after
# ENGINES_STOP_TIMEOUT seconds (default 30). Removes the pid files.
#   ENGINES_WIPE=1 infra/engines/down.sh   (or: down.sh --wipe)
# also deletes the data dirs (Kafka log dirs, FerretDB's SQLite files); the
# installed jars and binary stay cached.
set -euo pipefail

ENGINES_HOME=${ENGINES_HOME:-${HOME}/.cache/concert-engines}
ENGINES_STOP_TIMEOUT=${ENGINES_STOP_TIMEOUT:-30}
ENGINES_WIPE=${ENGINES_WIPE:-0}
RUN_DIR="$ENGINES_HOME/run"
DATA_DIR="$ENGINES_HOME/data"

for arg in "$@"; do
  case "$arg" in
    --wipe) ENGINES_WIPE=1 ;;
    -h | --help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      printf 'usage: %s [--wipe]\n' "$0" >&2
      exit 2
      ;;
  esac
done

log() { printf '[engines] %s\n' "$*" >&2; }

# stop NAME PIDFILE PATTERN
stop() {
  local name=$1 pidfile=$2 pattern=$3 pid waited=0 alive
  if [ ! -f "$pidfile" ]; then
    log "$name: not running (no pid file)"
    return 0
  fi
  pid=$(cat "$pidfile" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*)
    log "$name: bad pid file, removing"
    rm -f "$pidfile"
    return 0
    ;;
  esac
  # Only signal the process if it still is the engine (pids get reused).
  case "$(ps -p "$pid" -o args= 2>/dev/null || true)" in
    *"$pattern"*) alive=1 ;;
    *) alive=0 ;;
  esac
  if [ "$alive" = 0 ] || ! kill -0 "$pid" 2>/dev/null; then
    log "$name: not running (stale pid $pid)"
    rm -f "$pidfile"
    return 0
  fi
  log "$name: stopping pid $pid (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge "$ENGINES_STOP_TIMEOUT" ]; then
      log "$name: still alive after ${ENGINES_STOP_TIMEOUT}s, SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$pidfile" "${pidfile%.pid}.ports"
  log "$name: stopped"
}

# Stop both at once: Kafka's controlled shutdown takes a few seconds.
stop Kafka "$RUN_DIR/kafka.pid" kafka.Kafka &
kafka_job=$!
stop FerretDB "$RUN_DIR/ferretdb.pid" ferretdb
wait "$kafka_job"

case "$ENGINES_WIPE" in
  1 | true | yes)
    log "wiping data in $DATA_DIR"
    rm -rf "$DATA_DIR/kafka" "$DATA_DIR/ferretdb" "$DATA_DIR/ferretdb-state"
    ;;
esac
