"""
``dosecalc verify --orders``: the files a day's orders run reads and writes,
and the files it refuses before anything is written.

R-CHOP-21 doses: Coiffier et al., N Engl J Med 2002, doi:10.1056/NEJMoa011795;
BSA by Mosteller, sqrt(H W / 3600), doi:10.1056/NEJM198710223171717.
"""

import errno
import os
from pathlib import Path

from typer.testing import CliRunner

import dosecalc.cli.verify  # noqa: F401  (registers the command until the package imports it)
from dosecalc.cli import app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orders.csv"


def verify_cli(*args):
    return CliRunner().invoke(app, ["verify", *map(str, args)])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_rejects_that_cannot_be_put_in_place_leave_no_output(tmp_path, monkeypatch):
    # the rejects file cannot be replaced (an immutable file, chattr +i): the run fails and writes neither file
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "rejects.csv").write_text("an earlier run's rejects\n")
    replace = os.replace

    def refusing(source, target):
        if Path(target).name == "rejects.csv":
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
        replace(source, target)

    monkeypatch.setattr(os, "replace", refusing)
    line = one_line_error(
        verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", folder / "verified.csv", "--rejects", folder / "rejects.csv")
    )
    assert (
        line
        == f"error: {folder / 'rejects.csv'}: cannot be written (Operation not permitted); nothing was written there"
    )
    assert sorted(path.name for path in folder.iterdir()) == ["rejects.csv"]
    assert (folder / "rejects.csv").read_text() == "an earlier run's rejects\n"
