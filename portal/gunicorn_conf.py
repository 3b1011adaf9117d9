"""gunicorn's settings for production (`scripts/serve --prod`, the systemd unit of docs/deploy.md), each one
overridable from the environment: `gunicorn -c python:portal.gunicorn_conf`."""

from __future__ import annotations

import gc
import os

wsgi_app = "portal:create_app()"
bind = [os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]

# Threads, not only processes: an upload or a PDF waits on disk and network far more than it computes. Each worker
# holds its own database pool, so workers x threads is what PostgreSQL's max_connections must cover (docs/deploy.md).
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 9))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# With threads, `timeout` only watches that a worker process is alive: a long request (500 Mo arriving over a slow
# line, when no buffering proxy stands in front) is never cut by it. The reverse proxy's timeouts bound requests.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# On restart (deploy, `systemctl reload`), requests in flight (a deposit being checked and hashed) may finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "120"))
keepalive = 5
# A fresh process now and then: whatever a long-lived worker may leak is given back. Not too often: a new worker
# costs about a second of CPU (the application, its templates compiled, its page cache empty), while a public page
# from the cache costs a third of a millisecond; at 2,000 requests, under a visitors' rush, replacing workers was
# most of the servers' work (docs/BENCHMARKS.md, issue 18).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10

# Logs to the standard outputs: journald (or the container) keeps them. The first field is the visitor's address
# once PORTAL_PROXY_COUNT lets the portal read X-Forwarded-For; the last, the time taken in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Several servers may run on one machine (two ports behind one balancer): gunicorn's control socket would be
# shared by all of them in $HOME; systemd manages the processes instead.
control_socket_disable = True
# Heartbeat files in memory, not on a disk that may stall under the very load of a closing day.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


# glibc's mallopt() parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8


def post_fork(server, worker) -> None:
    """Keep large allocations for the next one. glibc maps each allocation above 128 KiB to fresh pages and unmaps
    them when freed: argon2-cffi's 64 MiB when a password is hashed (16,384 page faults, 20 to 30 ms of the kernel's
    CPU on top of the hash), the 1 MiB pieces an upload is read in. One arena, no mmap and a high trim threshold let
    the next one reuse the pages (issue 18: a deposit's CPU, 10-30 ms less over its five uploads measured with
    scripts/bench/deposit_server.py); the worker keeps 64 MiB more once it has hashed a password (more while several
    threads hash at once), in exchange. (A sign-in's verification is libsodium's, which maps its own memory:
    accounts/passwords.py.) Set before the worker starts its threads (each would have its own arena otherwise).
    GUNICORN_KEEP_HASH_MEMORY=0 gives the memory back after each allocation, as glibc does by default."""
    if os.environ.get("GUNICORN_KEEP_HASH_MEMORY", "1") == "0":
        return
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): its allocator as it is
        return
    for parameter, value in ((_M_ARENA_MAX, 1), (_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, 512 * 1024 * 1024)):
        mallopt(parameter, value)


def post_worker_init(worker) -> None:
    """Compile every template before the worker's first request: Jinja compiles a template at its first use, about
    0.4 s for a worker's pages, paid otherwise by the first visitors after each start (and after each `max_requests`
    restart), at the busiest hour as much as at any other (issue 18: a deposit's server CPU).

    Then set up SQLAlchemy's mappers and leave what the worker has loaded (the application, its templates,
    SQLAlchemy's and Babel's tables: some 220,000 objects) out of the garbage collector's full passes: each pass
    walked them all, 65-75 ms during which the worker's threads all wait, the first ones falling within its first
    seconds of traffic (issue 18: the p99 of the public pages). They live as long as the worker; what requests make
    is still collected."""
    environment = getattr(worker.wsgi, "jinja_env", None)
    if environment is not None:
        for name in environment.list_templates(extensions=("html", "txt")):
            try:
                environment.get_template(name)
            except Exception:  # noqa: BLE001 - a template that cannot compile alone still fails where used, as before
                worker.log.warning("template %s not compiled ahead", name)
    # SQLAlchemy sets up its mappers (relationships, loaders) at the first query, about 0.1 s of the first request
    # a worker serves (seen profiling a deposit): done here, and frozen with the rest.
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    gc.collect()  # what start-up left unreachable goes now, not frozen with the rest
    gc.freeze()
