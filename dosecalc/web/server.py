"""Run the page and the API under uvicorn, on this machine only unless asked."""

from __future__ import annotations

import ipaddress
import sys

from .app import create_app
from .hardening import LOOPBACK_HOSTS

__all__ = ["is_loopback", "serve"]

_ANY = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(host: str = "127.0.0.1", port: int = 8765) -> None:
    """
    Serve the page and the HTTP API at ``http://host:port/`` until interrupted.

    On a loopback address (the default) only this machine reaches the server,
    and only by a loopback name in the Host header. Any other address is
    reachable by whoever can reach the machine, without a login and without
    encryption: a warning says so on stderr, and the Host header is then
    checked against ``host`` (and the loopback names) unless ``host`` is
    every address (``0.0.0.0``, ``::``).

    Parameters
    ----------
    host : str
        The address to bind.
    port : int
        The TCP port.
    """
    import uvicorn

    hosts: tuple[str, ...] = LOOPBACK_HOSTS
    if not is_loopback(host):
        hosts = ("*",) if host in _ANY else (host, *LOOPBACK_HOSTS)
        print(
            f"warning: serving on {host}:{port}, reachable from other machines, with no login and no encryption: "
            "anyone who can reach this address can send patients' measurements to it and read the doses",
            file=sys.stderr,
        )
    uvicorn.run(create_app(hosts=hosts), host=host, port=port, server_header=False)
