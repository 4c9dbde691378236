"""gunicorn's two workers share a burst of new connections (tracker.web.serving.EvenServer).

Eight keep-alive connections opened at once, as eight clients starting together or nginx
opening its upstream connections do, used to land on whichever worker woke first: uvicorn
accepts every waiting connection in one go, and the other worker idled. The real
`gunicorn -c deploy/gunicorn.conf.py` serves a migrated SQLite database here; which worker
holds each connection is read from /proc.
"""

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest_mail import free_port, wait_until
from tests.deploy.test_topology_smoke import (
    WEB_WORKERS,
    _holds_socket,
    _server_side_inode,
    children,
    deploy_env,
    kill_orphaned_workers,
    shut_down,
    start_gunicorn,
)
from tests.jobs.processes import run_tracker

BURST = 8
BURSTS = 20


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[tuple[int, set[int]]]:
    """gunicorn with two workers on a migrated SQLite database: (port, worker pids)."""
    port = free_port()
    env = deploy_env(f"sqlite:///{tmp_path / 'tracker.db'}", free_port(), port)
    log = tmp_path / "gunicorn.log"
    run_tracker(["db", "upgrade"], env, tmp_path / "operator.log")
    process = start_gunicorn(env, log)
    workers: set[int] = set()
    try:

        def both_serving() -> bool:
            assert process.poll() is None, log.read_text()
            return len(children(process.pid)) == WEB_WORKERS and _healthz(port)

        wait_until(both_serving, 60, log.read_text)
        workers = children(process.pid)
        # Each worker builds the app on its own; /healthz above may have come from one.
        wait_until(
            lambda: log.read_text().count("Application startup complete") >= WEB_WORKERS,
            30,
            log.read_text,
        )
        yield port, workers
    finally:
        shut_down(process)
        kill_orphaned_workers(workers)


def _healthz(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            return _ask(connection)
    except OSError:
        return False


def _ask(connection: socket.socket) -> bool:
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    reply = b""
    while b'"ok"' not in reply and (chunk := connection.recv(4096)):
        reply += chunk
    return reply.startswith(b"HTTP/1.1 200")


def _burst(port: int, workers: set[int]) -> dict[int, int]:
    """BURST connections waiting when the workers wake; ask on each; how many each holds.

    The workers are paused while the kernel completes the connections into the listening
    socket's queue, as when they are busy serving and a burst arrives, so the burst is
    waiting whole when they wake (on an idle machine they would otherwise take the
    connections one by one as they arrive, whatever the server).
    """
    connections: list[socket.socket] = []
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(BURST):
            connections.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    try:
        assert all(_ask(c) for c in connections)
        held = dict.fromkeys(workers, 0)
        for connection in connections:
            inode = _server_side_inode(port, connection.getsockname()[1])
            owner = next(pid for pid in workers if _holds_socket(pid, inode))
            held[owner] += 1
        return held
    finally:
        for connection in connections:
            connection.close()


def test_a_burst_of_new_connections_is_shared_by_both_workers(gunicorn):
    port, workers = gunicorn
    splits = []
    for _ in range(BURSTS):
        splits.append(_burst(port, workers))
        # The workers see the connections closed before the next burst opens.
        wait_until(lambda: _burst_gone(port), 10, lambda: f"connections left open: {splits}")
    # A burst split 4/4, 3/5 or 5/3.
    even_bursts = sum(1 for split in splits if min(split.values()) >= BURST * 3 // 8)
    # uvicorn's own server split 4 to 12 bursts of 20 that evenly (one worker took all eight
    # in 2 to 10 of them). EvenServer split 19 or 20 of 20 evenly, also with three CPU hogs
    # beside it on two cores; the bound leaves room for a loaded CI machine waking one worker
    # late now and then.
    assert even_bursts >= BURSTS * 3 // 4, splits


def _burst_gone(port: int) -> bool:
    """The workers have closed their ends of the last burst's connections."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        # 01 established, 08 close-wait: the client closed, the worker not yet.
        if int(fields[1].rpartition(":")[2], 16) == port and fields[3] in ("01", "08"):
            return False
    return True
