"""``python -m dosecalc``: the same program as the ``dosecalc`` command."""

from .cli import app

app(prog_name="dosecalc")
