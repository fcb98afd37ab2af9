"""Gunicorn settings for Planner: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every setting can be changed through the environment, so one file serves every machine:
PLANNER_BIND, PLANNER_WORKERS, PLANNER_THREADS, PLANNER_TIMEOUT, PLANNER_GRACEFUL_TIMEOUT,
PLANNER_KEEPALIVE, PLANNER_MAX_REQUESTS, PLANNER_FORWARDED_ALLOW_IPS, PLANNER_LOG_LEVEL.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("PLANNER_BIND", "127.0.0.1:8000").split(",")
# The classic rule for sync workers: two per core plus one, so a core is busy while another worker waits.
workers = _int("PLANNER_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("PLANNER_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

# Each worker imports the app itself: database pools and the Celery connection are never shared across a
# fork, and a deploy picks up new code on a HUP.
preload_app = False

# A request that runs this long is stuck (a page never waits on a calendar server: sync runs in workers).
timeout = _int("PLANNER_TIMEOUT", 30)
# On restart or scale-down, requests in flight get this long to finish.
graceful_timeout = _int("PLANNER_GRACEFUL_TIMEOUT", 30)
# Behind a load balancer that keeps connections open; keep this below the balancer's idle timeout.
keepalive = _int("PLANNER_KEEPALIVE", 5)
# Recycling workers is off by default (memory stays flat in the soak test); set it to bound a leak.
max_requests = _int("PLANNER_MAX_REQUESTS", 0)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0

# Trust X-Forwarded-Proto/-For only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("PLANNER_FORWARDED_ALLOW_IPS", "127.0.0.1")

# The heartbeat file lives in memory: a worker on a slow or full disk is not killed for a late heartbeat.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's heartbeat files, created by gunicorn with private names
if os.path.isdir(SHM):
    worker_tmp_dir = SHM

# No access log: the app writes one structured JSON line per request (planner/logging.py), which holds the
# route template instead of the raw path (feed links carry tokens) and never a query string or header.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("PLANNER_LOG_LEVEL", "info").lower()
# Gunicorn's own lines (boot, worker exits) in the same JSON shape as the app's, all on stderr.
logconfig_dict = {
    "root": {"level": loglevel.upper(), "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
    "handlers": {
        "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
    "formatters": {"json": {"()": "planner.logging.JsonFormatter"}},
}
proc_name = "planner"

# Gunicorn 23+ opens a control socket at one fixed path per user, which clashes when several instances run on
# one machine: off unless a path is given.
if os.environ.get("PLANNER_CONTROL_SOCKET"):
    control_socket = os.environ["PLANNER_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def post_worker_init(worker) -> None:
    """Warn once, from the first worker, when the workers would not share their rate limits."""
    from planner.client_address import memory_limits_warning

    app = getattr(worker, "wsgi", None)
    message = (
        memory_limits_warning(getattr(app, "config", {}), worker.cfg.workers) if worker.age == 1 else None
    )
    if message:
        worker.log.warning(message)
