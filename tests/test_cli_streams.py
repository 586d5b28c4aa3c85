"""
The program's standard streams, run as the installed program is (``python -m dosecalc`` in a process): a
stdout that is full, closed or a pipe whose reader has gone is one line on stderr and exit code 2 for every
command, never a traceback nor Python's own "Exception ignored" at the exit; stdin is read once.
"""

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dosecalc.cli import app

ORDERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "orders.csv")

#: A command of each kind, each writing to stdout: text and --json, tables, a run writing files.
COMMANDS = {
    "dose": ["dose", "75mg/m2", "--bsa", "2"],
    "dose --json": ["dose", "75mg/m2", "--bsa", "2", "--json"],
    "bsa": ["bsa", "--height", "175cm", "--weight", "70kg"],
    "plan": ["plan", "r-chop-21", "--height", "175cm", "--weight", "70kg"],
    "crcl": ["crcl", "--age", "60", "--weight", "80kg", "--sex", "m", "--creatinine", "1.2mg/dL"],
    "methods": ["methods"],
    "protocol list": ["protocol", "list"],
    "verify --orders": ["verify", "r-chop-21", "--orders", ORDERS, "-o", "v.csv"],
    "verify --orders --json": ["verify", "r-chop-21", "--orders", ORDERS, "-o", "v.csv", "--json"],
    "cohort": ["cohort", "in.csv", "-o", "z.csv", "--dose", "75mg/m2"],
    "cohort -o -": ["cohort", "in.csv", "-o", "-", "--dose", "75mg/m2"],
    "help": ["--help"],
    "version": ["--version"],
    "a bad input with --json": ["bsa", "--height", "1cm", "--weight", "70kg", "--json"],
}


def _close_stdout():
    os.close(1)


def dosecalc(arguments, cwd, stdout):
    """``dosecalc`` as a process; its exit code and stderr. ``stdout``: "full" (/dev/full), "closed" (no
    descriptor 1, as ``>&-`` leaves it) or "gone" (a pipe closed by its reader before the first write)."""
    command = [sys.executable, "-m", "dosecalc", *arguments]
    if stdout == "full":
        with open("/dev/full", "wb") as device:
            done = subprocess.run(command, cwd=cwd, stdout=device, stderr=subprocess.PIPE, timeout=120)
        return done.returncode, done.stderr.decode()
    if stdout == "closed":
        done = subprocess.run(command, cwd=cwd, stderr=subprocess.PIPE, preexec_fn=_close_stdout, timeout=120)
        return done.returncode, done.stderr.decode()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as head does once it has read what it wanted
    errors = process.stderr.read().decode()
    return process.wait(timeout=120), errors


CAUSES = {"full": "No space left on device", "closed": "Bad file descriptor", "gone": "Broken pipe"}


@pytest.mark.skipif(not os.path.exists("/dev/full") or os.name != "posix", reason="needs /dev/full and fork")
@pytest.mark.parametrize("stdout", ["full", "closed", "gone"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_stdout_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, name, stdout):
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\nA,175,70\n", encoding="utf-8")
    code, errors = dosecalc(COMMANDS[name], tmp_path, stdout)
    assert (code, errors) == (2, f"error: stdout: cannot be written ({CAUSES[stdout]})\n")


@pytest.mark.skipif(os.name != "posix", reason="needs fork")
def test_a_run_to_files_with_stdout_closed_writes_its_files(tmp_path):
    # the summary is lost, and said; the output is written, and no file is given stdout's descriptor
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\nA,175,70\n", encoding="utf-8")
    code, errors = dosecalc(["cohort", "in.csv", "-o", "z.csv", "--dose", "75mg/m2"], tmp_path, "closed")
    assert (code, errors) == (2, "error: stdout: cannot be written (Bad file descriptor)\n")
    assert (tmp_path / "z.csv").read_text(encoding="utf-8").splitlines()[1].startswith("A,")


def test_stdin_given_twice_is_refused_as_read_once(tmp_path):
    result = CliRunner().invoke(
        app, ["cohort", "-", "-", "-o", str(tmp_path / "y.csv"), "--dose", "75mg/m2"], input="height_cm\n175\n"
    )
    assert result.exit_code == 2
    assert result.stderr == "error: input=-: given twice; stdin can be read once\n"
    assert list(tmp_path.iterdir()) == []
