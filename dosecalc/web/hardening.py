"""
What every response of the local server carries, and what every request may be.

Two small ASGI middlewares: :class:`SecurityHeaders` adds a strict
Content-Security-Policy (scripts, styles and requests only from the server
itself, nothing inline, no frames) and its companions to every response;
:class:`BodyLimit` refuses a request body over a size (413) before it is read
whole, by its Content-Length or, for a chunked body, as the bytes arrive.
:class:`HostCheck` refuses a Host header (without its port) not in a
list (400), so that a page from elsewhere cannot reach the server by a name
that resolves to 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

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

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


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
    """Refuse a request whose Host header, port aside, is not one of ``hosts`` (400);
    ``("*",)`` accepts any."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = {host.lower() for host in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "*" in self.hosts:
            await self.app(scope, receive, send)
            return
        given = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"]
        if len(given) == 1 and _host(given[0]).lower() in self.hosts:
            await self.app(scope, receive, send)
            return
        refused = error_json(
            "http_error",
            f"Host {', '.join(map(repr, given)) or 'not given'}: not served",
            field="host",
            value=", ".join(given) or None,
            expected="one of: " + ", ".join(sorted(self.hosts)),
            hint="open the page by the address the server was started on",
        )
        await refusal(refused, 400)(scope, receive, send)


def _host(header: str) -> str:
    # "[::1]:8765" → "[::1]", "localhost:8765" → "localhost"; a second colon outside brackets is not a port
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    name, colon, port = header.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else header


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
