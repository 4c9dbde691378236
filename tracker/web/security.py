"""Middleware on every answer: security headers, a cap on the size of request bodies, and
no NUL characters in text."""

import contextlib
import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.settings import Settings

# No inline script or style anywhere: templates link app.css and static JS files only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=63072000; includeSubDomains"


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every answer carries (HSTS only in production, which is served over TLS)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Page addresses carry patient ids and searched names: never send them elsewhere.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if settings.env == "production":
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def from_this_site(headers: Mapping[str, str], *, own_url: str, base_url: str) -> bool:
    """False when a browser says an unsafe page request came from another site.

    Beside the form's token (which a page of another site cannot read): `Origin`, when sent,
    must be this site's own (the address the request came to, or TRACKER_BASE_URL); without
    it, or when it is `null`, `Sec-Fetch-Site` must not be `cross-site` or `same-site` (and
    must be sent with a `null` origin). A client that sends neither (not a browser of this
    decade) is left to the token.
    """
    origin = headers.get("origin")
    fetch_site = headers.get("sec-fetch-site")
    if origin == "null":
        # Our own pages send `Referrer-Policy: no-referrer`, under which browsers send
        # `Origin: null` with their forms; `Sec-Fetch-Site` then says where the form was.
        return fetch_site in ("same-origin", "none")
    if origin is not None:
        return origin.lower() in {_origin_of(own_url), _origin_of(base_url)}
    return (fetch_site or "same-origin") in ("same-origin", "none")


class SecurityHeaders:
    """Adds the security headers to every HTTP answer; pages and API answers are not cached."""

    def __init__(self, app: ASGIApp, *, settings: Settings):
        self.app = app
        self.headers = [
            (k.lower().encode(), v.encode()) for k, v in security_headers(settings).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Protected health information must not linger in browser or proxy caches; the
        # static files (the stylesheet, the icon, a script) may.
        no_store = not scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if no_store:
                    extra = [(k, v) for k, v in extra if k != b"cache-control"]
                    extra.append((b"cache-control", b"no-store"))
                    message["headers"] = [
                        (k, v)
                        for k, v in message.get("headers", [])
                        if k.lower() != b"cache-control"
                    ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, declared or streamed.

    `larger` raises the cap for a few routes by (method, exact path): the caseload import
    takes files far bigger than any form or JSON body.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: dict[tuple[str, str], int] | None = None
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    def limit_for(self, method: str, path: str) -> int:
        """The most bytes a body of this request may have."""
        return self.larger.get((method.upper(), path), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope.get("method", "GET"), scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await self._refuse(scope, send, max_bytes)
            return
        received = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the app's answer to a body it could not read: ours replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        # Raised from our receive when the app did not turn it into an answer itself.
        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if too_large and not started:
            await self._refuse(scope, send, max_bytes)

    async def _refuse(self, scope: Scope, send: Send, max_bytes: int) -> None:
        detail = f"the request body is larger than {max_bytes} bytes"
        if scope["path"].startswith("/api/"):
            body, kind = json.dumps({"detail": detail}).encode(), b"application/json"
        else:
            body, kind = detail.encode(), b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# A NUL character in text: PostgreSQL refuses it in any text column (a 500 if it got that
# far) and no person types one. As sent: raw, URL-encoded, or escaped in JSON.
_URL_NUL = (b"\x00", b"%00")
_JSON_NUL = (b"\x00", b"\\u0000")


class _HasNul(Exception):
    pass


class RefuseNulCharacters:
    """Refuses (422) a path, query or text body that carries a NUL character."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if _has_nul(target, _URL_NUL):
            await _refuse_nul(scope, send)
            return
        kind = dict(scope.get("headers", [])).get(b"content-type", b"").lower()
        if _is_json(kind):
            markers = _JSON_NUL
        elif kind.startswith(b"application/x-www-form-urlencoded"):
            markers = _URL_NUL
        else:
            # Files may hold any byte; a multipart form's text fields are checked once parsed
            # (tracker.web.forms).
            await self.app(scope, receive, send)
            return
        tail = b""
        found = False
        started = False

        async def scanning_receive() -> Message:
            nonlocal tail, found
            message = await receive()
            if message["type"] == "http.request":
                chunk = tail + message.get("body", b"")
                if _has_nul(chunk, markers):
                    found = True
                    raise _HasNul()
                tail = chunk[-5:]  # a marker split across two chunks
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if found:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_HasNul):
            await self.app(scope, scanning_receive, guarded_send)
        if found and not started:
            await _refuse_nul(scope, send)


def _is_json(content_type: bytes) -> bool:
    # As FastAPI reads a body as JSON: application/json or any application/...+json (a
    # merge patch, say); the parameters (charset) aside.
    kind = content_type.split(b";", 1)[0].strip()
    return kind == b"application/json" or (
        kind.startswith(b"application/") and kind.endswith(b"+json")
    )


def _has_nul(data: bytes, markers: tuple[bytes, ...]) -> bool:
    return any(marker in data for marker in markers)


NUL_REFUSED = "text must not contain NUL characters"


async def _refuse_nul(scope: Scope, send: Send) -> None:
    message = NUL_REFUSED
    if scope["path"].startswith("/api/"):
        body = json.dumps(
            {"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}
        ).encode()
        kind = b"application/json"
    else:
        body, kind = message.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Routes whose bodies may reach TRACKER_MAX_IMPORT_BYTES instead of TRACKER_MAX_BODY_BYTES:
# a caseload's CSV files run to tens of megabytes.
LARGE_BODY_ROUTES = (("POST", "/import"),)


def add_security_middleware(app, settings: Settings) -> None:
    """Wrap the app: headers outermost, so that even a 413 carries them."""
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={route: settings.max_import_bytes for route in LARGE_BODY_ROUTES},
    )
    app.add_middleware(SecurityHeaders, settings=settings)
