"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for mail tests.

Import the fixtures into a conftest: `from tests.conftest_mail import smtp_server  # noqa`.
"""

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        """The Message-ID header."""
        return self.message["Message-ID"]


class MailCollector:
    """aiosmtpd handler: keeps every message; can refuse addresses or answer slowly."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: set[str] = set()
        self.delay_seconds = 0.0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        # Kept before the (optional) slow answer: a client killed while waiting for "250"
        # has still delivered, which is exactly the crash that may cause one duplicate.
        with self._lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Received]:
        """A snapshot of what has arrived so far."""
        with self._lock:
            return list(self.received)

    def count(self) -> int:
        """How many messages have arrived."""
        with self._lock:
            return len(self.received)

    def copies_by_message_id(self) -> Counter:
        """How many times each Message-ID arrived."""
        return Counter(r.message_id for r in self.messages())

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Wait (bounded) until at least `count` messages have arrived."""
        wait_until(
            lambda: self.count() >= count,
            timeout,
            lambda: f"expected {count} messages, got {self.count()}",
        )
        return self.messages()


def wait_until(
    condition: Callable[[], bool], timeout: float, describe: Callable[[], str] | str = ""
) -> None:
    """Poll `condition` until it holds or `timeout` seconds pass (then fail the test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            message = describe() if callable(describe) else describe
            pytest.fail(f"timed out after {timeout}s: {message}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server that can be stopped and started again on the same port."""

    def __init__(self, port: int | None = None, **smtp_options) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.collector = MailCollector()
        self.smtp_options = smtp_options
        self._controller: Controller | None = None

    def start(self) -> "SmtpServer":
        """Listen (again)."""
        if self._controller is None:
            self._controller = Controller(
                self.collector,
                hostname=self.host,
                port=self.port,
                ready_timeout=10,
                **self.smtp_options,
            )
            self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening; connections are refused until start() is called."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on a free loopback port."""
    server = SmtpServer().start()
    yield server
    server.stop()
