"""``dosecalc serve``: the page and the HTTP API, on this machine."""

from typing import Annotated

import typer

from .app import app
from .inputs import bad_input, print_error

# uvicorn's exit code when it could not start (its config.STARTUP_FAILURE), here a port taken since it was checked
_STARTUP_FAILURE = 3


@app.command("serve")
def serve_command(
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. 127.0.0.1 reaches this machine only; any other address is reachable by "
            "whoever reaches the machine, without login or encryption (a warning says so)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8765,
) -> None:
    """
    Serve the page for checking a patient's doses, and the HTTP API of every
    command's --json, at http://127.0.0.1:8765/ until Ctrl-C. Nothing is sent
    anywhere: the page loads nothing from the network. The API is described
    at /docs and /openapi.json.

    \b
    Examples:
      dosecalc serve
      dosecalc serve --port 9000
    """
    try:
        from ..web import serve
    except ImportError as missing:
        print_error(f"dosecalc serve needs {missing.name}: pip install 'dosecalc[web]'")
        raise typer.Exit(code=2) from None
    try:
        with bad_input():  # the port in use, the host not this machine's: before anything starts
            serve(host=host, port=port)
    except SystemExit as stopped:  # dosecalc's 3 is "some rows rejected": an unusable port is bad input
        if stopped.code == _STARTUP_FAILURE:
            raise typer.Exit(code=2) from None
        raise
