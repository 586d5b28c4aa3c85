"""
dosecalc on a local web page and over HTTP: ``dosecalc serve``.

:func:`create_app` builds the ASGI application (the page at ``/``, the JSON
endpoints at ``/api/<command>`` with the inputs and outputs of the command
line's ``--json``, their OpenAPI description at ``/openapi.json`` and
``/docs``); :func:`serve` runs it under uvicorn on 127.0.0.1:8765. Nothing is
sent anywhere: the page loads nothing from the network.

Needs the ``web`` extra (FastAPI and uvicorn).
"""

from .app import create_app
from .server import serve

__all__ = ["create_app", "serve"]
