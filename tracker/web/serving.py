"""How the app is served: the uvicorn options `tracker serve` and the tests' server use, and
the gunicorn worker class of deploy/gunicorn.conf.py (the `deploy` extra)."""

from typing import Any

# No `server: uvicorn` banner: it tells a scanner what to try, and says nothing to a user.
# Behind nginx the X-Forwarded-* headers give the client's address and scheme.
UVICORN_OPTIONS: dict[str, Any] = {"server_header": False, "proxy_headers": True}

try:
    from uvicorn_worker import UvicornWorker as _UvicornWorker  # type: ignore[import-untyped]
except ImportError:  # the deploy extra is not installed: only gunicorn needs the worker
    _UvicornWorker = None

if _UvicornWorker is not None:

    class UvicornWorker(_UvicornWorker):
        """gunicorn's uvicorn worker, without the server banner."""

        CONFIG_KWARGS = {**_UvicornWorker.CONFIG_KWARGS, "server_header": False}
