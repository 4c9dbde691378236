"""Gunicorn settings for the web workers (never the scheduler: that is its own process)."""

import multiprocessing
import os

bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")
# Two workers per core is plenty for an I/O-bound app on PostgreSQL.
workers = int(os.environ.get("TRACKER_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
# uvicorn's worker without the `server: uvicorn` banner, sharing a burst of new connections
# with the other workers instead of taking them all (tracker/web/serving.py).
worker_class = "tracker.web.serving.UvicornWorker"
# The app is built by its factory in each worker; no scheduler runs inside web workers.
wsgi_app = "tracker.web.app:create_app()"
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
timeout = 60
graceful_timeout = 30
keepalive = 5
# Behind nginx on the same host: trust its X-Forwarded-* headers only from loopback.
forwarded_allow_ips = os.environ.get("TRACKER_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# gunicorn 25+ opens a control socket in the service user's home by default: an admin
# interface nobody here uses, which fails to start (a warning on every start) under the
# systemd unit's ProtectSystem=strict, and which two instances on one host would share.
control_socket_disable = True
