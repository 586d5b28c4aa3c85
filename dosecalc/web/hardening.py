"""
What every response of the local server carries, and what every request may be.

Two small ASGI middlewares: :class:`SecurityHeaders` adds a strict
Content-Security-Policy (scripts, styles and requests only from the server
itself, nothing inline, no frames) and its companions to every response;
:class:`BodyLimit` refuses a request body over a size (413) before it is read
whole, by its Content-Length or, for a chunked body, as the bytes arrive.
:class:`HostCheck` refuses a Host header that is not exactly one of a list
of names, optionally with ``:`` and a port of 1-65535 (400), so that a page
from elsewhere cannot reach the server by a name that resolves to 127.0.0.1
(DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_json, refusal

__all__ = ["HEADERS", "LOOPBACK_HOSTS", "BodyLimit", "BodyTooLarge", "HostCheck", "SecurityHeaders"]

# MDN "Content-Security-Policy"; OWASP Secure Headers Project
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    # patients' measurements are not kept by a browser or a proxy
    "cache-control": "no-store",
}

# an IPv6 address is written in brackets in a Host header (RFC 3986, 3.2.2): "[::1]", never "::1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class SecurityHeaders:
    """Add :data:`HEADERS` to every HTTP response (replacing any of the same name)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()]
        self.names = {name for name, _ in self.raw}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in self.names]
                message = {**message, "headers": kept + self.raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """Refuse a request whose Host header is not one of ``hosts``, optionally
    followed by ``:`` and a port of 1-65535 (400); ``("*",)`` accepts any.

    A name is compared whatever its case, as DNS compares names; an IPv6
    address of ``hosts`` is taken in brackets or without them, and matched
    in brackets only, as a Host header writes it.
    """

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = {_bracketed(host.lower()) for host in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "*" in self.hosts:
            await self.app(scope, receive, send)
            return
        given = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"]
        if len(given) == 1 and _host(given[0]) in self.hosts:
            await self.app(scope, receive, send)
            return
        refused = error_json(
            "http_error",
            f"Host {', '.join(map(repr, given)) or 'not given'}: not served",
            field="host",
            value=", ".join(given) or None,
            expected="one of: " + ", ".join(sorted(self.hosts)) + ", each optionally with :port (1-65535)",
            hint="open the page by the address the server was started on",
        )
        await refusal(refused, 400)(scope, receive, send)


def _bracketed(host: str) -> str:
    # "::1" and "[::1]" are one address, written "[::1]" in a Host header
    try:
        return f"[{ipaddress.IPv6Address(host.removeprefix('[').removesuffix(']'))}]" if ":" in host else host
    except ValueError:
        return host


# a name or a bracketed IPv6 address, then at most a port: anything after the name, or a port of other
# characters ("[::1]evil.example", "[::1]:evil", "localhost:8765:80"), is no Host of this server
_HOST_HEADER = re.compile(r"(?P<name>\[[^\[\]]*\]|[^\[\]:]*)(?::(?P<port>[0-9]+))?", re.ASCII)


def _host(header: str) -> str | None:
    """The name of a Host header, lowercased ("[::1]:8765" → "[::1]"), or None if it is not a name with at most a
    port of 1-65535 (written without a leading zero, as a browser writes it)."""
    found = _HOST_HEADER.fullmatch(header)
    if found is None:
        return None
    port = found["port"]
    if port is not None and not (len(port) <= 5 and port[0] != "0" and int(port) <= 65535):
        return None
    return found["name"].lower()


class BodyTooLarge(HTTPException):
    """A request body over the server's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit} bytes")
        self.limit = limit


class BodyLimit:
    """Refuse a request body of more than ``limit`` bytes with 413.

    A Content-Length over the limit (or not a number) is refused before
    anything is read; a body without one (chunked) is counted as it arrives
    and refused at the first byte over, by raising :class:`BodyTooLarge`, an
    ``HTTPException`` that the framework's handlers turn into the response.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_over(scope):
            too_large = BodyTooLarge(self.limit)
            await refusal(error_json("http_error", too_large.detail), 413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)

    def _declared_over(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                return not value.isdigit() or int(value) > self.limit
        return False
