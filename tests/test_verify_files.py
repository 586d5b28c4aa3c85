"""
``dosecalc verify --orders``: the files a day's orders run reads and writes,
and the files it refuses before anything is written.

R-CHOP-21 doses: Coiffier et al., N Engl J Med 2002, doi:10.1056/NEJMoa011795;
BSA by Mosteller, sqrt(H W / 3600), doi:10.1056/NEJM198710223171717.
"""

import errno
import os
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import dosecalc.cli.verify  # noqa: F401  (registers the command until the package imports it)
from dosecalc.cli import app
from dosecalc.errors import DoseCalcError
from dosecalc.protocol import load_protocol
from dosecalc.verify_table import verify_table

RCHOP = load_protocol("r-chop-21")
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


@pytest.mark.parametrize(
    "header, cells, named",
    [
        ("ordered_mg,ordered,ordered_unit", "92,50,mg", "ordered_mg and ordered"),
        ("ordered,ordered_unit,ordered_mg", "50,mg,92", "ordered_mg and ordered"),
        ("ordered,ordered_unit,Ordered (mg/m2)", "92,mg,50", "Ordered (mg/m2) and ordered"),
        ("ordered_mg,ordered", "92,92", "ordered_mg and ordered"),
    ],
)
def test_two_columns_of_the_ordered_dose_refuse_the_file(tmp_path, header, cells, named):
    # doxorubicin 50 mg/m² at sqrt(175 × 70 / 3600) = 1.845 m² is 92.2 mg: 92 in one column and 50 in the other
    # would be verified by whichever was read (50 mg too low, or a wrong 50 passed by a right 92); neither is
    orders = tmp_path / "orders.csv"
    orders.write_text(f"patient_id,drug,{header},height_cm,weight_kg\nP1,doxorubicin,{cells},175,70\n")
    with pytest.raises(DoseCalcError, match="both give the ordered dose; keep one") as raised:
        verify_table(RCHOP, pacsv.read_csv(orders))
    assert str(raised.value).startswith(named)
    line = one_line_error(
        verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "v.csv", "--rejects", tmp_path / "r.csv")
    )
    assert named in line and "keep one" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.csv"]
