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
  if [[ " ${missing[*]} " == *" curl "* ]]; then APT_HINT+=" curl"; fi
  log "install with: $APT_HINT"
  exit 3
fi

# The swift-* entry points run under the distro python (/usr/bin/python3), which
# is not necessarily the `python3` on PATH (pyenv, venvs...). Reuse whatever
# interpreter the installed scripts declare so we import the same swift package.
read -r -a SWIFT_PY <<<"$(head -n1 "$(command -v swift-proxy-server)" | sed -e 's/^#! *//')"

# Importing eventlet pulls in dnspython for green DNS, which is ~40% of every
# Swift process's start-up time. Everything here uses literal 127.0.0.1
# addresses, so there is nothing to resolve. Exported: applies to
# swift-ring-builder and all servers.
export EVENTLET_NO_GREENDNS=yes

# Swift does chdir('/') when it daemonizes, so every path in the configs must be absolute.
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd -P)
ETC=$STATE_DIR/etc SRV=$STATE_DIR/srv LOGS=$STATE_DIR/log PIDS=$STATE_DIR/pids

# --- already running? ---------------------------------------------------------
# A crashed server that nobody reaped yet is a zombie, which `kill -0` still
# reports as alive.
running() { # pid
  kill -0 "$1" 2>/dev/null || return 1
  [[ -r /proc/$1/stat ]] || return 0
  [[ $(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1) != Z ]]
}
read_pid() { # name
  local f=$PIDS/$1.pid
  [[ -f $f && $(<"$f") =~ ^[0-9]+$ ]] && echo "${BASH_REMATCH[0]}"
}
# A pid file only counts if the process is still ours: pids get recycled, so we
# check the command line too.
pid_alive() { # name
  local pid
  pid=$(read_pid "$1") && running "$pid" || return 1
  [[ -r /proc/$pid/cmdline ]] || return 0
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

mkdir -p "$ETC" "$SRV/d1" "$LOGS" "$PIDS" "$STATE_DIR/cache"

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
# - log_level: messages reach log/NAME.log through Swift's console handler
#   (see swift-launch.py).
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
# CORS for browser clients on actual requests (ETag, which multipart uploads
# need, is exposed by default); preflights are answered by s3api below.
cors_allow_origin = $CORS_ORIGINS

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

# --- checks + rings ------------------------------------------------------------
# Every python start-up that imports swift costs ~0.5 s here, so the sanity
# checks and the ring building share one interpreter.
#
# Rings: one device, one replica, 2^8 partitions. They only depend on the
# backend ports, so they are rebuilt only when those change. The builds go
# through swift-ring-builder's own main() -- the same code and arguments as
# `swift-ring-builder X.builder create 8 1 1 / add r1z1-127.0.0.1:PORT/d1 1 /
# rebalance` -- just without nine separate processes.
ring_key="account=$ACCOUNT_PORT container=$CONTAINER_PORT object=$OBJECT_PORT"
rings=()
if [[ ! -f $ETC/rings.key || $(<"$ETC/rings.key") != "$ring_key" ]]; then
  log "building rings"
  rings=("account:$ACCOUNT_PORT" "container:$CONTAINER_PORT" "object:$OBJECT_PORT")
  for r in "${rings[@]}"; do rm -f "$ETC/${r%%:*}.builder" "$ETC/${r%%:*}.ring.gz"; done
fi

set +e
# stdout is reserved for the env lines, hence >&2.
"${SWIFT_PY[@]}" - "$SRV/d1" "$ETC" "${rings[@]}" <<'EOF' >&2
import contextlib, io, os, sys
device, etc, rings = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    import swift.common.middleware.s3api  # noqa: F401
except ImportError as e:
    print("cannot import swift's s3api middleware: %s" % e, file=sys.stderr)
    sys.exit(3)
# Swift keeps object metadata in user.* xattrs (tmpfs only has them since Linux 6.6).
try:
    os.setxattr(device, "user.ferry-s3", b"1")
    os.removexattr(device, "user.ferry-s3")
except OSError as e:
    print("%s: no user xattr support (%s); Swift needs it, use another STATE_DIR"
          % (device, e), file=sys.stderr)
    sys.exit(1)
if rings:
    from swift.cli.ringbuilder import main as ring_builder
for spec in rings:
    kind, port = spec.split(":")
    builder = os.path.join(etc, kind + ".builder")
    for args in (["create", "8", "1", "1"],
                 ["add", "r1z1-127.0.0.1:%s/d1" % port, "1"],
                 ["rebalance"]):
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                ring_builder(["swift-ring-builder", builder] + args)
            code = 0
        except SystemExit as e:
            code = e.code or 0
        # 1 = "completed with warnings", fine for a one-device ring.
        if code not in (0, 1):
            sys.stderr.write(out.getvalue())
            print("swift-ring-builder %s %s failed (%s)" % (builder, " ".join(args), code),
                  file=sys.stderr)
            sys.exit(2)
    if not os.path.exists(os.path.join(etc, kind + ".ring.gz")):
        print("swift-ring-builder wrote no %s ring" % kind, file=sys.stderr)
        sys.exit(2)
EOF
rc=$?
set -e
if ((rc == 3)); then
  log "install with: $APT_HINT"
fi
((rc == 0)) || exit "$rc"
if ((${#rings[@]})); then echo "$ring_key" >"$ETC/rings.key"; fi

# --- launch -----------------------------------------------------------------------
# Swift servers go through swift-launch.py, which points Swift at $ETC/swift.conf
# (Swift 2.30 would otherwise read /etc/swift/swift.conf) and keeps logging out
# of syslog. `-v` makes Swift log to stderr, which lands in log/NAME.log.
#
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
if [[ $(id -u) == 0 ]]; then mc_user=(-u root); fi
spawn memcached memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 "${mc_user[@]}"
for s in "${SWIFT_SERVERS[@]}"; do
  spawn "$s" "${SWIFT_PY[@]}" "$HERE/swift-launch.py" "$ETC" "$(command -v "swift-$s")" "$ETC/$s.conf" -v
done

# The proxy's /healthcheck answers 200 even when the backends are down, so wait
# for every server's own health check.
deadline=$((SECONDS + START_TIMEOUT))
until all_up; do
  # Only liveness here: right after the fork a child may not have exec'd yet,
  # so its command line would not match. (Our own children stay zombies until
  # we exit, so a crash is still seen.)
  dead=()
  for n in memcached "${SWIFT_SERVERS[@]}"; do running "$(read_pid "$n")" || dead+=("$n"); done
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
  sleep 0.2
done

log "S3 endpoint ready on http://127.0.0.1:$PROXY_PORT (logs: $LOGS)"
print_env
