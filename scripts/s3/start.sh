#!/usr/bin/env bash
# Start a local one-node OpenStack Swift with the s3api middleware: a real
# S3-compatible server (path-style, SigV4) for development and tests.
#
#   scripts/s3/start.sh [STATE_DIR]     # default: $FERRY_S3_STATE_DIR or /tmp/ferry-s3
#
# Progress goes to stderr; stdout carries only `export FERRY_S3_*=...` lines so
# callers can do:   eval "$(scripts/s3/start.sh)"
#
# Environment (all optional):
#   FERRY_S3_PORT=8380               S3 endpoint (Swift proxy)
#   FERRY_S3_MEMCACHED_PORT=11311
#   FERRY_S3_ACCOUNT_PORT=6202  FERRY_S3_CONTAINER_PORT=6201  FERRY_S3_OBJECT_PORT=6200
#   FERRY_S3_LOG_LEVEL=WARNING       INFO adds one access-log line per request
#   FERRY_S3_START_TIMEOUT=30        seconds to wait for the health checks
#   FERRY_S3_CORS_ORIGINS='*'        comma-separated origins allowed to call the
#                                    endpoint from a browser; empty disables CORS
#
# Needs (Debian): apt-get install -y --no-install-recommends \
#   swift swift-proxy swift-account swift-container swift-object memcached curl
# Stop with scripts/s3/stop.sh [--purge] [STATE_DIR].
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

STATE_DIR=${1:-${FERRY_S3_STATE_DIR:-/tmp/ferry-s3}}
PROXY_PORT=${FERRY_S3_PORT:-8380}
MEMCACHED_PORT=${FERRY_S3_MEMCACHED_PORT:-11311}
ACCOUNT_PORT=${FERRY_S3_ACCOUNT_PORT:-6202}
CONTAINER_PORT=${FERRY_S3_CONTAINER_PORT:-6201}
OBJECT_PORT=${FERRY_S3_OBJECT_PORT:-6200}
LOG_LEVEL=${FERRY_S3_LOG_LEVEL:-WARNING}
START_TIMEOUT=${FERRY_S3_START_TIMEOUT:-30}
CORS_ORIGINS=${FERRY_S3_CORS_ORIGINS-*}
REGION=us-east-1
ACCESS_KEY=test:tester   # tempauth "account:user"; s3api uses it as the access key id
SECRET_KEY=testing

SWIFT_SERVERS=(account-server container-server object-server proxy-server)

log() { printf '[ferry-s3] %s\n' "$*" >&2; }

# --- prerequisites ----------------------------------------------------------
APT_HINT='apt-get install -y --no-install-recommends swift swift-proxy swift-account swift-container swift-object memcached'
missing=()
for bin in swift-ring-builder swift-proxy-server swift-account-server \
           swift-container-server swift-object-server memcached curl; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
if ((${#missing[@]})); then
  log "missing: ${missing[*]}"
  log "install with: $APT_HINT curl"
  exit 3
fi

# The swift-* entry points run under the distro python (/usr/bin/python3), which
# is not necessarily the `python3` on PATH (pyenv, venvs...). Reuse whatever
# interpreter the installed scripts declare so we import the same swift package.
read -r -a SWIFT_PY <<<"$(head -n1 "$(command -v swift-proxy-server)" | sed -e 's/^#! *//')"
if ! "${SWIFT_PY[@]}" -c 'import swift.common.middleware.s3api' 2>/dev/null; then
  log "${SWIFT_PY[*]} cannot import swift's s3api middleware"
  log "install with: $APT_HINT"
  exit 3
fi

# Swift does chdir('/') when it daemonizes, so every path in the configs must be absolute.
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd -P)
ETC=$STATE_DIR/etc SRV=$STATE_DIR/srv LOGS=$STATE_DIR/log PIDS=$STATE_DIR/pids

# --- already running? ---------------------------------------------------------
# A pid file only counts if the process is still ours: pids get recycled, so we
# check the command line, not just `kill -0`.
pid_alive() { # name
  local f=$PIDS/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ -r /proc/$pid/cmdline ]] || return 0
  # A crashed server that nobody reaped yet is a zombie: not alive.
  [[ $(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1) != Z ]] || return 1
  if [[ $1 == memcached ]]; then
    [[ $(</proc/$pid/comm) == memcached ]]
  else
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$ETC/$1.conf"
  fi
}
healthy() { # port
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/healthcheck" 2>/dev/null
}
port_open() { # port -- bash's /dev/tcp avoids needing nc
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
all_up() {
  local n
  for n in memcached "${SWIFT_SERVERS[@]}"; do pid_alive "$n" || return 1; done
  port_open "$MEMCACHED_PORT" && healthy "$ACCOUNT_PORT" && healthy "$CONTAINER_PORT" &&
    healthy "$OBJECT_PORT" && healthy "$PROXY_PORT"
}
print_env() {
  cat <<EOF
export FERRY_S3_ENDPOINT=http://127.0.0.1:$PROXY_PORT
export FERRY_S3_REGION=$REGION
export FERRY_S3_ACCESS_KEY_ID=$ACCESS_KEY
export FERRY_S3_SECRET_ACCESS_KEY=$SECRET_KEY
export FERRY_S3_FORCE_PATH_STYLE=true
EOF
}

if all_up; then
  log "already running (state: $STATE_DIR)"
  print_env
  exit 0
fi
if compgen -G "$PIDS/*.pid" >/dev/null; then
  # Partially running or crashed: restart everything from a clean process slate
  # (data in srv/ is kept).
  log "stale or partial instance found, stopping it first"
  "$HERE/stop.sh" "$STATE_DIR" >&2
fi

busy=()
for p in "$PROXY_PORT" "$MEMCACHED_PORT" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT"; do
  port_open "$p" && busy+=("$p")
done
if ((${#busy[@]})); then
  log "port(s) already in use by another process: ${busy[*]}"
  log "override with FERRY_S3_PORT / FERRY_S3_MEMCACHED_PORT / FERRY_S3_{ACCOUNT,CONTAINER,OBJECT}_PORT"
  exit 1
fi

# Swift needs user.* xattrs on the device filesystem (tmpfs lacks them before Linux 6.6).
mkdir -p "$ETC" "$SRV/d1" "$LOGS" "$PIDS" "$STATE_DIR/cache"
if ! "${SWIFT_PY[@]}" -c 'import os, sys; p = sys.argv[1]; os.setxattr(p, "user.ferry-s3", b"1"); os.removexattr(p, "user.ferry-s3")' "$SRV/d1" 2>/dev/null; then
  log "$SRV/d1 does not support user xattrs, which Swift requires; pick another STATE_DIR"
  exit 1
fi

# --- configuration --------------------------------------------------------------
# Rewritten on every start so env changes (ports, log level) always apply.
# The hash prefix/suffix only has to be stable for the lifetime of srv/, and this
# is a throwaway dev store, so a constant is fine.
cat >"$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_prefix = ferry-dev
swift_hash_path_suffix = ferry-dev

[storage-policy:0]
name = Policy-0
default = yes
EOF

# Shared by all four servers.
# - workers = 0: serve in the launched process itself, so the pid we record is
#   the one to signal and there are no forked children to leak.
# - user: Swift drops privileges to "swift" by default; running as whoever
#   started us keeps STATE_DIR writable without chown.
# - log_level: messages reach our log files through the console handler (see
#   the launcher below).
common_default() { # port
  cat <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $1
workers = 0
user = $(id -un)
swift_dir = $ETC
devices = $SRV
mount_check = false
recon_cache_path = $STATE_DIR/cache
log_level = $LOG_LEVEL
EOF
}

for kind in account container object; do
  port_var=${kind^^}_PORT
  {
    common_default "${!port_var}"
    cat <<EOF

[pipeline:main]
pipeline = healthcheck $kind-server

[app:$kind-server]
use = egg:swift#$kind

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
  } >"$ETC/$kind-server.conf"
done

# s3api must sit before tempauth (it turns the S3 signature into a tempauth
# identity) and before slo, which it uses to implement multipart uploads.
{
  common_default "$PROXY_PORT"
  cat <<EOF

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
# S3 clients never create the Swift account; let the first request do it.
account_autocreate = true
# CORS for browser clients (actual requests); preflights are answered by s3api.
cors_allow_origin = $CORS_ORIGINS
cors_expose_headers = x-amz-request-id, x-amz-id-2, x-amz-version-id

[filter:s3api]
use = egg:swift#s3api
# Also the region SigV4 signatures must be computed for.
location = $REGION
cors_preflight_allow_origin = $CORS_ORIGINS

[filter:tempauth]
use = egg:swift#tempauth
# account "test", user "tester", key "testing" => S3 key id "test:tester".
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
EOF
} >"$ETC/proxy-server.conf"

# --- rings ------------------------------------------------------------------------
# One device, one replica. Rings only depend on the backend ports, and each
# swift-ring-builder call costs a python start-up, so only rebuild when the
# ports change.
ring_key="account=$ACCOUNT_PORT container=$CONTAINER_PORT object=$OBJECT_PORT"
if [[ ! -f $ETC/rings.key || $(<"$ETC/rings.key") != "$ring_key" ]]; then
  log "building rings"
  build_ring() { # kind port
    local b=$ETC/$1.builder rc=0
    rm -f "$b" "$ETC/$1.ring.gz"
    swift-ring-builder "$b" create 8 1 1 >/dev/null
    swift-ring-builder "$b" add "r1z1-127.0.0.1:$2/d1" 1 >/dev/null
    # Exit status 1 means "rebalanced with warnings", which is fine here.
    swift-ring-builder "$b" rebalance >/dev/null || rc=$?
    ((rc <= 1)) || { log "rebalance of $1 ring failed ($rc)"; return 1; }
  }
  build_ring account "$ACCOUNT_PORT" &
  a=$!
  build_ring container "$CONTAINER_PORT" &
  c=$!
  build_ring object "$OBJECT_PORT" &
  o=$!
  rc=0
  wait "$a" || rc=1
  wait "$c" || rc=1
  wait "$o" || rc=1
  ((rc == 0)) || exit 1
  echo "$ring_key" >"$ETC/rings.key"
fi

# --- launch -----------------------------------------------------------------------
# Swift 2.30 (Debian bookworm) reads swift.conf from the hard-coded
# /etc/swift/swift.conf: `swift_dir` only locates the rings and there is no
# SWIFT_CONF_FILE environment override. So each server goes through a tiny
# launcher that calls set_swift_dir() before storage policies and constraints
# are imported, then runs the distro's own entry point unchanged.
#
# Logging: Swift always adds a syslog handler, and without /dev/log (containers)
# it silently falls back to UDP localhost:514. The launcher swaps it for a no-op
# handler, and `-v` makes Swift log to stderr instead, which we redirect to
# log/NAME.log. (On Swift versions where the names differ the swap is skipped,
# which is harmless.)
LAUNCHER='
import logging, runpy, sys
swift_dir, script = sys.argv[1], sys.argv[2]
sys.argv = [script] + sys.argv[3:]
from swift.common import utils
utils.set_swift_dir(swift_dir)
from swift.common import constraints, storage_policy
constraints.reload_constraints()
storage_policy.reload_storage_policies()
class _NoSyslog(logging.Handler):
    def __init__(self, *args, **kwargs):
        logging.Handler.__init__(self)
    def emit(self, record):
        pass
logmod = sys.modules[utils.get_logger.__module__]
if hasattr(logmod, "ThreadSafeSysLogHandler"):
    logmod.ThreadSafeSysLogHandler = _NoSyslog
runpy.run_path(script, run_name="__main__")
'

# `setsid` detaches from the caller's terminal/session (no SIGHUP/SIGINT when the
# shell that ran us goes away). In a non-interactive shell a background job is
# not a process-group leader, so setsid execs in place and $! is the real pid.
spawn() { # name cmd...
  local name=$1
  shift
  printf '==== %s start %s\n' "$(date -u +%FT%TZ)" "$name" >>"$LOGS/$name.log"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

log "starting in $STATE_DIR"
mc_user=()
# memcached refuses to run as root unless told which user to be.
[[ $(id -u) == 0 ]] && mc_user=(-u root)
spawn memcached memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 "${mc_user[@]}"
for s in "${SWIFT_SERVERS[@]}"; do
  spawn "$s" "${SWIFT_PY[@]}" -c "$LAUNCHER" "$ETC" "$(command -v "swift-$s")" "$ETC/$s.conf" -v
done

# The proxy's /healthcheck answers 200 even when the backends are down, so wait
# for every server's own health check.
deadline=$((SECONDS + START_TIMEOUT))
until all_up; do
  dead=()
  for n in memcached "${SWIFT_SERVERS[@]}"; do pid_alive "$n" || dead+=("$n"); done
  if ((${#dead[@]})) || ((SECONDS >= deadline)); then
    if ((${#dead[@]})); then
      log "exited during start-up: ${dead[*]}"
    else
      log "not healthy after ${START_TIMEOUT}s"
    fi
    for n in memcached "${SWIFT_SERVERS[@]}"; do
      printf '\n----- %s (last 40 lines) -----\n' "$LOGS/$n.log" >&2
      tail -n 40 "$LOGS/$n.log" >&2 || true
    done
    "$HERE/stop.sh" "$STATE_DIR" >&2 || true
    exit 1
  fi
  sleep 0.1
done

log "S3 endpoint ready on http://127.0.0.1:$PROXY_PORT (logs: $LOGS)"
print_env
