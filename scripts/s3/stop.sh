#!/usr/bin/env bash
# Stop the local Swift/S3 server started by scripts/s3/start.sh.
#
#   scripts/s3/stop.sh [--purge] [STATE_DIR]   # default: $FERRY_S3_STATE_DIR or /tmp/ferry-s3
#
# --purge also deletes STATE_DIR (configs, rings, stored objects, logs).
# FERRY_S3_STOP_TIMEOUT (default 5) = seconds between SIGTERM and SIGKILL.
set -euo pipefail

PURGE=0
STATE_DIR=
for arg in "$@"; do
  case $arg in
    --purge) PURGE=1 ;;
    -h | --help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) STATE_DIR=$arg ;;
  esac
done
STATE_DIR=${STATE_DIR:-${FERRY_S3_STATE_DIR:-/tmp/ferry-s3}}
STOP_TIMEOUT=${FERRY_S3_STOP_TIMEOUT:-5}

log() { printf '[ferry-s3] %s\n' "$*" >&2; }

if [[ ! -d $STATE_DIR ]]; then
  log "nothing to stop ($STATE_DIR does not exist)"
  exit 0
fi
STATE_DIR=$(cd "$STATE_DIR" && pwd -P)
PIDS=$STATE_DIR/pids ETC=$STATE_DIR/etc

# Our servers were re-parented when start.sh exited; if whatever reaps orphans
# here is slow (or absent, in some containers), a killed server lingers as a
# zombie, which `kill -0` still reports as alive.
running() { # pid
  kill -0 "$1" 2>/dev/null || return 1
  [[ -r /proc/$1/stat ]] || return 0
  [[ $(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1) != Z ]]
}

# Only signal a pid if it is still the process we started: after a reboot or a
# crash the number may belong to something else entirely.
ours() { # name pid
  running "$2" || return 1
  [[ -r /proc/$2/cmdline ]] || return 0
  if [[ $1 == memcached ]]; then
    [[ $(</proc/$2/comm) == memcached ]]
  else
    tr '\0' ' ' <"/proc/$2/cmdline" | grep -qF "$ETC/$1.conf"
  fi
}

# Proxy first so no new requests reach half-stopped backends.
names=(proxy-server object-server container-server account-server memcached)
pids=()
for name in "${names[@]}"; do
  f=$PIDS/$name.pid
  [[ -f $f ]] || continue
  pid=$(<"$f")
  if [[ $pid =~ ^[0-9]+$ ]] && ours "$name" "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
done

deadline=$((SECONDS + STOP_TIMEOUT))
while ((${#pids[@]})); do
  left=()
  for pid in "${pids[@]}"; do running "$pid" && left+=("$pid"); done
  pids=("${left[@]+"${left[@]}"}")
  ((${#pids[@]})) || break
  if ((SECONDS >= deadline)); then
    log "SIGKILL after ${STOP_TIMEOUT}s: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    break
  fi
  sleep 0.1
done

rm -f "$PIDS"/*.pid
log "stopped ($STATE_DIR)"

if ((PURGE)); then
  # Guard against an unset/odd variable turning this into something destructive.
  case $STATE_DIR in
    / | "$HOME" | /tmp | /root | /home | /usr* | /etc* | /var) log "refusing to purge $STATE_DIR"; exit 1 ;;
  esac
  rm -rf -- "$STATE_DIR"
  log "purged $STATE_DIR"
fi
