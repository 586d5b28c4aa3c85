"""
The local server's application: the page, the API and its description.

``create_app()`` builds a FastAPI application that serves

- ``/``: the page for one patient (``static/index.html``, its script and style
  sheet as files of this package: no asset, font or script from the network);
- ``/api/<command>``: the endpoints of :mod:`dosecalc.web.api`;
- ``/openapi.json``: their OpenAPI description, and ``/docs``: a page listing
  them, made from that description by a script of this package (Swagger UI,
  FastAPI's usual ``/docs``, loads from a CDN and runs inline scripts, which
  neither an offline machine nor the Content-Security-Policy allows).

Every response has the headers of :mod:`dosecalc.web.hardening`; a request
body over ``max_body_bytes`` is refused (413), a Host header other than
``hosts`` too (400), and errors are JSON without a stack trace
(:mod:`dosecalc.web.errors`).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse

from .._version import __version__
from . import errors
from .api import router
from .hardening import LOOPBACK_HOSTS, BodyLimit, HostCheck, SecurityHeaders

__all__ = ["MAX_BODY_BYTES", "create_app"]

# the largest request: a patient and a day's orders of one protocol fit in a few kB
MAX_BODY_BYTES = 64 * 1024

STATIC = files("dosecalc.web") / "static"

DISCLAIMER = "dosecalc is decision support: every dose must be verified by a clinician."


class _App(FastAPI):
    def build_middleware_stack(self):
        # outside FastAPI's own error middleware, so that a 500 has the headers too
        return SecurityHeaders(super().build_middleware_stack())


def create_app(hosts: tuple[str, ...] = LOOPBACK_HOSTS, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """
    The server's ASGI application.

    Parameters
    ----------
    hosts : tuple of str
        The Host header values accepted (without port); ``("*",)`` accepts
        any. The default, the loopback names, refuses a page elsewhere that
        reaches the server through a name resolving to 127.0.0.1.
    max_body_bytes : int
        The largest request body accepted; a larger one is a 413.

    Returns
    -------
    app : fastapi.FastAPI
        Every response, an error's too, with the headers of
        :mod:`dosecalc.web.hardening`.
    """
    app = _App(
        title="dosecalc",
        version=__version__,
        description=f"dosecalc's calculations over HTTP, with the inputs and JSON of its command line. {DISCLAIMER}",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    errors.install(app)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(str(STATIC / "docs.html"))

    # the Host is checked before anything else is done
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(HostCheck, hosts=hosts)
    return app
