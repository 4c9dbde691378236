"""A small keep-alive HTTP/1.1 client on asyncio streams, for loopback benchmarks.

On a two-core machine the load generator shares the cores with the server, so it must cost
as little as possible per request: this one writes the request bytes and reads the answer by
Content-Length (or chunks), nothing more. Cookies are sent as given, whatever their Secure
flag, so the server can run with its production settings over plain loopback HTTP.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class Answer:
    """A response: status, lower-cased headers (the last of each name), body, time taken."""

    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    seconds: float

    @property
    def server_ms(self) -> float | None:
        """The app's own time from the Server-Timing header, in ms."""
        timing = self.headers.get("server-timing", "")
        found = re.search(r"dur=([0-9.]+)", timing)
        return float(found.group(1)) if found else None

    def json(self):
        """The body as JSON."""
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to host:port."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body=None,
        form=None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request and read the whole answer (reconnecting if the server closed)."""
        body = b""
        extra = {**self.headers, **(headers or {})}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            extra["content-type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            extra["content-type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            extra["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lines = [
            f"{method} {path} HTTP/1.1",
            f"host: {self.host}:{self.port}",
            f"content-length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in extra.items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            started = time.perf_counter()
            try:
                self.writer.write(raw)
                answer = await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
                continue
            answer.seconds = time.perf_counter() - started
            self.cookies.update(answer.cookies)
            if answer.headers.get("connection", "").lower() == "close":
                self.close()
            return answer
        raise AssertionError("unreachable")

    async def _read(self) -> Answer:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = value
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return Answer(status, headers, cookies, body, 0.0)

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def api_token(connection: Connection, username: str, password: str) -> str:
    """A bearer token from the API's login, set on the connection for what follows."""
    answer = await connection.request(
        "POST", "/api/v1/auth/token", form={"username": username, "password": password}
    )
    if answer.status != 200:
        raise RuntimeError(f"API login failed: {answer.status} {answer.body[:200]!r}")
    token = answer.json()["access_token"]
    connection.headers["authorization"] = f"Bearer {token}"
    return token


async def page_login(connection: Connection, username: str, password: str) -> None:
    """Log in through the login form (its CSRF cookie and field), keeping the session."""
    form = await connection.request("GET", "/login")
    csrf = re.search(rb'name="login_csrf" value="([^"]+)"', form.body).group(1).decode()
    answer = await connection.request(
        "POST",
        "/login",
        form={"username": username, "password": password, "next": "/", "login_csrf": csrf},
    )
    if answer.status not in (200, 303):
        raise RuntimeError(f"page login failed: {answer.status}")
