"""gunicorn settings of the served panel (`make run`, deploy/panel.service), from PANEL_* variables.

Workers x threads (docs/operating.md "Workers and threads"): on the embedded SQLite, 2
processes x 4 threads, since one file has one writer at a time and more processes only queue
on its lock; on PostgreSQL, 2 x cores + 1 processes x 4 threads.
"""

import multiprocessing
import os

_database = os.environ.get("PANEL_SQLALCHEMY_DATABASE_URI", "")
_on_sqlite = not _database or _database.startswith("sqlite")

bind = os.environ.get("PANEL_BIND", "127.0.0.1:5000")
worker_class = "gthread"
workers = int(os.environ.get("PANEL_WORKERS") or (2 if _on_sqlite else 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("PANEL_THREADS") or 4)
# The app is loaded (and refused, in production mode, with its reason) once before forking.
preload_app = True
# A large export streams for minutes; gthread workers keep beating while a thread works, so
# this only ends a worker that is truly stuck.
timeout = int(os.environ.get("PANEL_TIMEOUT") or 120)
graceful_timeout = 30
# No keep-alive: each request comes on its own connection. A worker that stops (replaced after
# max_requests, or signalled) closes its idle kept-alive connections, and a request a client
# was already sending on one is reset unanswered: under `make load` a new card's POST was lost
# that way (docs/load.md). nginx keeps the clients' connections; its hop to the app on the
# same machine or network costs a connect, well under a millisecond.
keepalive = 0
# A worker is replaced after this many requests (any slow leak stays bounded).
max_requests = 2000
max_requests_jitter = 200
# No access log: the panel writes its own JSON line a request, without the query string,
# which can hold a searched phone or ID number.
accesslog = None
errorlog = "-"
# The proxy is trusted by the app (PANEL_TRUSTED_PROXIES), not by gunicorn.
forwarded_allow_ips = ""
# gunicorn's control socket (gunicornc) is not used; two app servers on one machine (the
# two-server tests) would share its one default path.
control_socket_disable = True
