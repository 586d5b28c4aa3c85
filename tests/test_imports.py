"""
What ``dosecalc cohort`` loads for a CSV file in and a CSV file out: no frame
library but pyarrow (and polars, the CSV writer where it is installed, only
for more rows than a few thousand), no Parquet module, no plotting, and no
rich off a terminal. Each would be loaded
at every start for nothing (see benchmarks/test_startup.py).
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dosecalc.cli.cohort import _may_be_terminal

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cohort.csv"
NOT_LOADED = (
    *("pandas", "dask", "narwhals", "matplotlib", "jsonschema", "pyarrow.parquet", "pyarrow.dataset", "rich"),
    "polars",  # 36 rows are written in its text without it
)

_RUN = """
import json, sys
from dosecalc.cli import app
try:
    app(["cohort", sys.argv[1], "-o", sys.argv[2], "--dose", "75mg/m2", "--rejects", sys.argv[3]], prog_name="dosecalc")
except SystemExit as done:
    assert done.code == 3, done.code  # examples/cohort.csv has 5 rows to reject
names = json.loads(sys.argv[4])
print(json.dumps(sorted(name for name in names if name in sys.modules or any(m.startswith(name + ".") for m in sys.modules))))
"""


def test_a_cohort_csv_run_loads_no_module_it_does_not_use(tmp_path, monkeypatch):
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    output, rejects = tmp_path / "dosed.csv", tmp_path / "rejects.csv"
    run = subprocess.run(
        [sys.executable, "-c", _RUN, str(EXAMPLE), str(output), str(rejects), json.dumps(NOT_LOADED)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == []
    assert output.read_text().count("\n") == 32 and rejects.read_text().count("\n") == 6


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("tty_compatible", [None, "", "0", "1"])
@pytest.mark.parametrize("force_color", [None, "", "1"])
def test_no_terminal_is_said_where_rich_finds_one(monkeypatch, tty, tty_compatible, force_color):
    # the progress bar asks rich only where this says there may be a terminal: never a terminal missed
    from rich.console import Console

    for name, value in (("TTY_COMPATIBLE", tty_compatible), ("FORCE_COLOR", force_color)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    stream = _Stream(tty)
    if Console(file=stream).is_terminal:
        assert _may_be_terminal(stream)
    if not tty and tty_compatible != "1" and not force_color:
        assert not _may_be_terminal(stream)
