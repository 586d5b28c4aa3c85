"""Run the page and the API under uvicorn, on this machine only unless asked."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys

from ..errors import UsageError
from .app import create_app
from .hardening import LOOPBACK_HOSTS

__all__ = ["check_address", "is_loopback", "serve"]

_ANY = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    """
    Bind ``host:port`` as the server will, and let it go.

    As asyncio's ``loop.create_server`` (uvicorn's): every address ``host``
    resolves to (all of them for ``""``), ``SO_REUSEADDR`` (a server just
    stopped leaves its port free), IPv6 sockets IPv6 only.

    Raises
    ------
    UsageError
        If the port is in use or not permitted, or ``host`` is not an address
        of this machine; ``field`` is ``"--port"`` or ``"--host"``.
    """
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise UsageError(f"--host {host}: not a name or address of this machine", field="--host") from None
    for family, kind, proto, _, address in set(found):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as refused:
                raise _unusable(host, port, refused) from None


def _unusable(host: str, port: int, refused: OSError) -> UsageError:
    if refused.errno == errno.EADDRINUSE:
        return UsageError(
            f"--port {port}: in use on {host or 'every address'}; stop what listens there or give another port",
            field="--port",
        )
    if refused.errno == errno.EACCES:
        return UsageError(
            f"--port {port}: not permitted on {host or 'every address'} (ports below 1024 need privileges); "
            "give another port",
            field="--port",
        )
    if refused.errno == errno.EADDRNOTAVAIL:
        return UsageError(f"--host {host}: not an address of this machine", field="--host")
    return UsageError(f"--host {host} --port {port}: {(refused.strerror or str(refused)).lower()}", field="--port")


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

    Raises
    ------
    UsageError
        If ``host:port`` cannot be bound (see :func:`check_address`), before
        anything is started.
    """
    import uvicorn

    check_address(host, port)
    # the address served by, as the page is opened (http://127.0.0.2:8765/), and the loopback names
    hosts: tuple[str, ...] = tuple(dict.fromkeys((host, *LOOPBACK_HOSTS)))
    if not is_loopback(host):
        hosts = ("*",) if host in _ANY else (host, *LOOPBACK_HOSTS)
        # on every address, the names this machine is reached by are not known: any Host header is served
        every_host = "; any Host header is served (give --host this machine's address to check it)"
        print(
            f"warning: serving on {host}:{port}, reachable from other machines, with no login and no encryption: "
            "anyone who can reach this address can send patients' measurements to it and read the doses"
            + (every_host if host in _ANY else ""),
            file=sys.stderr,
        )
    uvicorn.run(create_app(hosts=hosts), host=host, port=port, server_header=False)
