"""How the app is served: the uvicorn options `tracker serve` and the tests' server use, and
the gunicorn worker class of deploy/gunicorn.conf.py (the `deploy` extra)."""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from typing import Any

from uvicorn.server import Server

# No `server: uvicorn` banner: it tells a scanner what to try, and says nothing to a user.
# Behind nginx the X-Forwarded-* headers give the client's address and scheme.
UVICORN_OPTIONS: dict[str, Any] = {"server_header": False, "proxy_headers": True}

# A worker already holding connections waits this long for each (up to the cap) before it
# takes another, so that a worker with fewer, woken by the same connection, takes it first.
# nginx's workers do the like (accept_mutex); the wait is paid only while connections open.
WAIT_PER_CONNECTION_SECONDS = 0.0005
WAIT_CAP_SECONDS = 0.005

# After a failed accept (out of file descriptors, say), wait this long before the next, as
# asyncio's own server does, rather than spin on a socket that stays readable.
ACCEPT_RETRY_SECONDS = 1.0

logger = logging.getLogger("uvicorn.error")


class EvenServer(Server):
    """uvicorn's server, taking one waiting connection each time its event loop turns.

    gunicorn's workers share one listening socket. uvicorn's own server (uvloop, and asyncio
    up to its backlog) accepts every waiting connection at once, so a burst of new
    keep-alive connections (nginx opening its upstream connections, eight clients starting
    together) lands on whichever worker wakes first, and the other workers idle while it
    serves them all. Here a worker takes one connection at a time, and a worker that already
    holds connections first waits a little, in proportion to how many it holds: every worker
    is woken by a new connection, so the one holding the fewest takes it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listening: list[socket.socket] = []
        self._opening: set[asyncio.Task] = set()
        self._waited = False

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start the app as uvicorn does, then accept on the sockets one connection a turn."""
        await super().startup(sockets=[])
        protocol = functools.partial(
            self.config.http_protocol_class,  # type: ignore[call-arg]
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        self._listening = list(sockets or [])
        for sock in self._listening:
            sock.setblocking(False)
            self._listen(sock, protocol)

    def _listen(self, sock: socket.socket, protocol) -> None:
        if sock not in self._listening:
            return  # shut down during a wait
        asyncio.get_running_loop().add_reader(sock.fileno(), self._accept_one, sock, protocol)

    def _accept_one(self, sock: socket.socket, protocol) -> None:
        loop = asyncio.get_running_loop()
        held = len(self.server_state.connections)
        if held and not self._waited:
            # Let a worker holding fewer connections take this one; if none does, take it
            # after the wait.
            loop.remove_reader(sock.fileno())
            wait = min(held * WAIT_PER_CONNECTION_SECONDS, WAIT_CAP_SECONDS)
            loop.call_later(wait, self._after_wait, sock, protocol)
            return
        self._waited = False
        try:
            connection, _address = sock.accept()
        except (BlockingIOError, InterruptedError):
            return  # another worker took it
        except OSError as error:
            logger.error("Accepting a connection failed (%s); retrying in 1 s", error)
            loop.remove_reader(sock.fileno())
            loop.call_later(ACCEPT_RETRY_SECONDS, self._listen, sock, protocol)
            return
        connection.setblocking(False)
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = loop.create_task(
            loop.connect_accepted_socket(protocol, connection, ssl=self.config.ssl)
        )
        self._opening.add(task)
        task.add_done_callback(self._opened)

    def _after_wait(self, sock: socket.socket, protocol) -> None:
        self._waited = True
        self._listen(sock, protocol)

    def _opened(self, task: asyncio.Task) -> None:
        self._opening.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Opening a connection failed: %s", task.exception())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, then shut down as uvicorn does."""
        loop = asyncio.get_running_loop()
        listening, self._listening = self._listening, []
        for sock in listening:
            loop.remove_reader(sock.fileno())
        await super().shutdown(sockets=sockets)


try:
    from gunicorn.arbiter import Arbiter  # type: ignore[import-untyped]
    from uvicorn_worker import UvicornWorker as _UvicornWorker  # type: ignore[import-untyped]
except ImportError:  # the deploy extra is not installed: only gunicorn needs the worker
    _UvicornWorker = None

if _UvicornWorker is not None:

    class UvicornWorker(_UvicornWorker):
        """gunicorn's uvicorn worker, without the server banner, sharing bursts of new
        connections with the other workers (`EvenServer`)."""

        CONFIG_KWARGS = {**_UvicornWorker.CONFIG_KWARGS, "server_header": False}

        async def _serve(self) -> None:
            self.config.app = self.wsgi
            server = EvenServer(config=self.config)
            self._install_sigquit_handler()
            await server.serve(sockets=self.sockets)
            if not server.started:
                raise SystemExit(Arbiter.WORKER_BOOT_ERROR)
