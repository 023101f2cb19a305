"""Run one of the distro's Swift server entry points against a private config dir.

    <swift python> swift-launch.py SWIFT_DIR /usr/bin/swift-proxy-server CONF [-v]

Used by start.sh; not meant to be run by hand. It must be run with the python
the swift-* scripts use (their shebang), not whatever `python3` is on PATH.

Why this exists: Swift 2.30 (Debian bookworm) reads swift.conf from the
hard-coded /etc/swift/swift.conf. The `swift_dir` config option only locates
the rings, and there is no SWIFT_CONF_FILE environment override. We want a
self-contained state dir that never touches /etc/swift, so we point
swift.common.utils at it before the modules that parse swift.conf at import
time (storage policies, constraints) are loaded, then hand over to the
unmodified entry point.
"""
import logging
import runpy
import sys

swift_dir, script = sys.argv[1], sys.argv[2]
sys.argv = [script] + sys.argv[3:]

from swift.common import utils  # noqa: E402  (must come after argv fix-up)

utils.set_swift_dir(swift_dir)

# Both parse swift.conf when first imported; reload anyway in case something
# imported them before set_swift_dir() (harmless if not).
from swift.common import constraints, storage_policy  # noqa: E402

constraints.reload_constraints()
storage_policy.reload_storage_policies()


# Swift always attaches a syslog handler. Without /dev/log (containers, CI) it
# silently falls back to UDP localhost:514, and with it our dev server would
# spam the host's syslog. start.sh passes -v so Swift logs to stderr, which it
# redirects to log/NAME.log; the syslog handler is replaced with a no-op. If a
# future Swift moves or renames the class this is skipped, which is harmless.
class _NoSyslog(logging.Handler):
    def __init__(self, *args, **kwargs):
        logging.Handler.__init__(self)

    def emit(self, record):
        pass


_logmod = sys.modules[utils.get_logger.__module__]
if hasattr(_logmod, "ThreadSafeSysLogHandler"):
    _logmod.ThreadSafeSysLogHandler = _NoSyslog

runpy.run_path(script, run_name="__main__")
