"""
The files a cohort run writes: never the input (by its sidecar or the report
either), never a device or a pipe, through a link to its target, and all of
them in place or none.
"""

import csv
import errno
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_cohort_files import cli, mounted_tmpfs, one_line_error, read_csv, write_patients

import dosecalc.cohort_io
from dosecalc.cohort_io import convert_file
from dosecalc.errors import DoseCalcError
from dosecalc.protocol import PROTOCOL_DIR

ROWS = [("A", 170, 154.32358), ("B", 1.7, 154.32358)]  # B: metres in a cm column, rejected


def cohort(source, *options):
    """``dosecalc cohort source *options --dose 75mg/m2``."""
    return cli("cohort", str(source), *map(str, options), "--dose", "75mg/m2")


def test_the_outputs_sidecar_is_never_the_input(tmp_path):
    source = write_patients(tmp_path / "dosed.csv.json", ROWS)
    before = source.read_bytes()
    with pytest.raises(DoseCalcError) as raised:
        convert_file(source, tmp_path / "dosed.csv", dose="75 mg/m^2")
    assert str(raised.value) == (
        f"output={tmp_path / 'dosed.csv'}: its provenance would replace {source}, the input file; write to another file"
    )
    assert source.read_bytes() == before and not (tmp_path / "dosed.csv").exists()


def test_the_rejects_sidecar_is_never_the_input(tmp_path):
    source = write_patients(tmp_path / "r.csv.json", ROWS)
    before = source.read_bytes()
    line = one_line_error(cohort(source, "-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.csv"))
    assert line.startswith(f"error: rejects={tmp_path / 'r.csv'}: its provenance would replace")
    assert source.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["r.csv.json"]


def test_the_report_is_never_the_input(tmp_path):
    source = write_patients(tmp_path / "in.html", ROWS)
    before = source.read_bytes()
    line = one_line_error(cohort(source, "-o", tmp_path / "o.csv", "--report", source))
    assert line == f"error: report={source}: is the input file {source}; write to another file"
    assert source.read_bytes() == before and not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("option", ["-o", "--rejects"])
def test_a_device_or_a_pipe_is_refused_not_replaced(tmp_path, option):
    source = write_patients(tmp_path / "in.csv", ROWS)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    for target in (os.devnull, str(pipe)):
        others = ["-o", str(tmp_path / "o.csv")] if option == "--rejects" else []
        line = one_line_error(cohort(source, option, target, *others))
        assert "is not a regular file (a device, a pipe or a socket)" in line, line
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and not os.path.exists(os.devnull + ".json")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode) and not (tmp_path / "o.csv").exists()


def test_a_link_is_kept_and_its_target_written(tmp_path):
    source = write_patients(tmp_path / "in.csv", ROWS)
    (tmp_path / "real.csv").write_text("an earlier run\n")
    (tmp_path / "link.csv").symlink_to("real.csv")
    summary = convert_file(source, tmp_path / "link.csv", dose="75 mg/m^2")
    assert summary.rows_written == 1 and (tmp_path / "link.csv").is_symlink()
    # Mosteller (N Engl J Med 1987;317:1098): sqrt(170 cm x 70.0 kg / 3600) = 1.818118 m2; 75 mg/m2 x BSA = 136.36 mg
    line = (tmp_path / "real.csv").read_text().splitlines()[1]
    assert line.startswith("A,170.0,154.32358,1,1.8181") and ",136.35" in line
    assert (tmp_path / "real.csv.json").is_file() and not (tmp_path / "link.csv.json").exists()


def test_an_output_that_fails_at_its_close_leaves_no_rejects_either(tmp_path, monkeypatch):
    # the rejects are complete first; the output's last flush finds the disk full: neither file is put in place
    class FailingAtClose(dosecalc.cohort_io.PolarsCsvWriter):
        def close(self, failed=False):
            super().close(failed)
            if self._schema.names[-1] != "reason":  # the output's writer, not the rejects'
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(dosecalc.cohort_io, "_csv_writer_class", lambda: FailingAtClose)
    source = write_patients(tmp_path / "in.csv", ROWS)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "r.csv").write_text("an earlier run's rejects\n")
    with pytest.raises(DoseCalcError) as raised:
        convert_file(source, folder / "o.csv", dose="75 mg/m^2", rejects_path=folder / "r.csv")
    assert str(raised.value).endswith("o.csv: cannot be written (No space left on device); nothing was written there")
    assert sorted(p.name for p in folder.iterdir()) == ["r.csv"]
    assert (folder / "r.csv").read_text() == "an earlier run's rejects\n"


def test_a_report_in_a_read_only_folder_is_refused_before_the_run(tmp_path):
    source = write_patients(tmp_path / "in.csv", ROWS)
    with mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        line = one_line_error(cohort(source, "-o", tmp_path / "o.csv", "--report", folder / "r.html"))
        assert (
            line == f"error: report={folder / 'r.html'}: cannot be written (Read-only file system); nothing was written"
        )
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.csv.json").exists()


def test_verified_orders_are_never_written_over_a_device(tmp_path):
    orders = Path(__file__).parents[1] / "examples" / "orders.csv"
    line = one_line_error(cli("verify", "r-chop-21", "--orders", str(orders), "-o", os.devnull))
    assert line.startswith(f"error: output={os.devnull}: is not a regular file (a device, a pipe or a socket)")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def dosecalc_process(*arguments, stdout, cwd):
    """``dosecalc`` run as a process, writing to ``stdout`` (a file, or subprocess.PIPE); its exit code and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dosecalc", *map(str, arguments)], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE
    )
    if stdout == subprocess.PIPE:
        process.stdout.close()  # as head does once it has read its lines: the pipe is closed
    errors = process.stderr.read().decode()
    return process.wait(), errors


@pytest.fixture
def full_stdout():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as device:
        yield device


@pytest.mark.parametrize("options", [["-o", "-"], ["-o", "-", "--json"]])
def test_dosed_rows_on_a_full_or_closed_stdout_are_one_line(tmp_path, full_stdout, options):
    source = write_patients(tmp_path / "in.csv", [(f"P{i}", 170, 154) for i in range(5000)])
    for stdout, cause in ((full_stdout, "No space left on device"), (subprocess.PIPE, "Broken pipe")):
        code, errors = dosecalc_process("cohort", source, *options, "--dose", "75mg/m2", stdout=stdout, cwd=tmp_path)
        assert (code, errors) == (2, f"error: stdout: cannot be written ({cause})\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_summary_on_a_full_stdout_is_one_line(tmp_path, full_stdout):
    # the output is written; the summary that says so is not, and the run says why
    source = write_patients(tmp_path / "in.csv", ROWS[:1])
    for json in ([], ["--json"]):
        code, errors = dosecalc_process(
            "cohort", source, "-o", "o.csv", *json, "--dose", "75mg/m2", stdout=full_stdout, cwd=tmp_path
        )
        assert (code, errors) == (2, "error: stdout: cannot be written (No space left on device)\n")
    assert [row["patient_id"] for row in read_csv(tmp_path / "o.csv")] == ["A"]


def test_rejects_on_a_full_stdout_name_stdout_and_leave_no_output(tmp_path, full_stdout):
    # stdout is written before the output is put in place: a copy that fails leaves no output either
    source = write_patients(tmp_path / "in.csv", ROWS)
    code, errors = dosecalc_process(
        "cohort", source, "-o", "o.csv", "--rejects", "-", "--dose", "75mg/m2", stdout=full_stdout, cwd=tmp_path
    )
    assert (code, errors) == (2, "error: stdout: cannot be written (No space left on device)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_run_that_fails_late_writes_nothing_on_stdout(tmp_path, monkeypatch):
    # rows are written to stdout only once the run is done: a malformed last row leaves stdout empty
    # (10,000 rows in blocks of 1 KiB: more than the reader reads ahead, so the first rows are dosed and written)
    for name, size in (("BLOCK_BYTES", 1024), ("BATCH_ROWS", 100), ("WRITE_ROWS", 100)):
        monkeypatch.setattr(dosecalc.cohort_io, name, size)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temporary"))
    (tmp_path / "temporary").mkdir()
    source = write_patients(tmp_path / "in.csv", [(f"P{i}", 170, 154) for i in range(10000)])
    with source.open("a") as file:
        file.write("1,2,3,4\n")
    result = cohort(source, "-o", "-")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: input={source}: CSV parse error: row 10001: Expected 3 columns, got 4: 1,2,3,4\n"
    assert list((tmp_path / "temporary").iterdir()) == []  # nor a temporary copy left behind
    good = write_patients(tmp_path / "good.csv", ROWS)
    result = cohort(good, "-o", "-")
    assert result.exit_code == 3 and [row["patient_id"] for row in csv.DictReader(result.stdout.splitlines())] == ["A"]
    assert list((tmp_path / "temporary").iterdir()) == []


def test_the_next_run_to_stdout_removes_the_copy_a_killed_run_left(tmp_path, monkeypatch):
    # a run killed (SIGKILL) leaves its copy for stdout in the temporary folder; the next run to stdout removes it
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temporary"))
    (tmp_path / "temporary").mkdir()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    killed = tmp_path / "temporary" / f".dosecalc-stdout.csv.{host}-{int(ended.stdout)}-ab12_cd3.part"
    alive = tmp_path / "temporary" / f".dosecalc-stdout.csv.{host}-{os.getpid()}-0123abcd.part"  # another run, now
    for left in (killed, alive):
        left.write_text("patient_id\n")
    result = cohort(write_patients(tmp_path / "in.csv", ROWS), "-o", "-")
    assert result.exit_code == 3 and result.stdout.splitlines()[1].startswith("A,170.0,154.32358,1,1.8181")
    assert list((tmp_path / "temporary").iterdir()) == [alive]


def test_the_next_run_from_stdin_removes_the_copy_a_killed_run_left(tmp_path, monkeypatch):
    # a run killed (SIGKILL) while reading stdin leaves its copy (a folder) in the temporary folder
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temporary"))
    (tmp_path / "temporary").mkdir()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = tmp_path / "temporary" / f".dosecalc-stdin.{socket.gethostname()}-{int(ended.stdout)}-ab12_cd3.part"
    killed.mkdir()
    (killed / "stdin.csv").write_text("patient_id,height_cm,weight_lb\nA,170,150\n", encoding="utf-8")
    source = write_patients(tmp_path / "in.csv", ROWS).read_text(encoding="utf-8")
    result = cli("cohort", "-", "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2", input=source)
    assert result.exit_code == 3, result.output
    assert list((tmp_path / "temporary").iterdir()) == []  # the killed run's copy, and this run's own, removed


def test_a_full_disk_names_the_file_on_it_not_the_other(tmp_path):
    # the output fills its disk while the rejects are written elsewhere: the error names the output
    source = write_patients(
        tmp_path / "in.csv", [(f"patient-{i:06d}", 170 if i % 2 else 1.7, 150) for i in range(20000)]
    )
    with mounted_tmpfs(tmp_path / "disk", "size=64k") as disk:
        line = one_line_error(cohort(source, "-o", disk / "o.csv", "--rejects", tmp_path / "r.csv"))
        assert (
            line == f"error: {disk / 'o.csv'}: cannot be written (No space left on device); nothing was written there"
        )
        assert list(disk.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk", "in.csv"]


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    "options, written, read",
    [
        (["--bands", "bands.csv", "--dose", "1000mg/m2", "-o", "bands.csv"], "-o bands.csv", "--bands bands.csv"),
        (  # a link to the table, as the rejects
            ["--bands", "bands.csv", "--dose", "1000mg/m2", "-o", "o.csv", "--rejects", "link.csv"],
            "--rejects link.csv",
            "--bands bands.csv",
        ),
        (["--protocol", "./proto", "--cycles", "1", "-o", "proto"], "-o proto", "--protocol proto"),
        (  # the output's provenance, beside it, is the band table
            ["--bands", "o.csv.json", "--dose", "1000mg/m2", "-o", "o.csv"],
            "-o o.csv",
            "--bands o.csv.json",
        ),
    ],
)
def test_a_run_never_writes_over_a_table_it_reads(tmp_path, monkeypatch, options, written, read):
    # the dosed rows written over the band table (or the protocol) they were dosed by: the next run reads rows
    monkeypatch.chdir(tmp_path)
    bands = (EXAMPLES / "bands.csv").read_text()
    for name in ("bands.csv", "o.csv.json"):
        Path(name).write_text(bands)
    Path("link.csv").symlink_to("bands.csv")
    Path("proto").write_text((PROTOCOL_DIR / "r-chop-21.toml").read_text())
    Path("in.csv").write_text("patient_id,height_cm,weight_kg\nA,175,70\n")
    before = {name: Path(name).read_text() for name in ("bands.csv", "o.csv.json", "proto")}
    line = one_line_error(cli("cohort", "in.csv", *options))
    assert line == f"error: {written}: would replace {read}, which the run reads; write to another file"
    assert {name: Path(name).read_text() for name in before} == before
    assert not Path("o.csv").exists()


def test_a_parse_error_names_the_row_not_a_line_a_quoted_break_would_shift(tmp_path):
    # the note of patient A holds two line breaks: B's short row is the file's line 5, its row 2
    source = tmp_path / "notes.csv"
    source.write_text('id,note,height_cm,weight_kg\nA,"x\ny\nz",175,70\nB,x,175\n')
    line = one_line_error(cli("cohort", str(source), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line == f"error: input={source}: CSV parse error: row 2: Expected 4 columns, got 3: B,x,175"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["", "-o", "out/"], "input='': an empty name; expected a file, a folder or a pattern"),
        (["in.csv", "-o", ""], "output='': an empty name; expected a file name, or - for stdout"),
        (
            ["in.csv", "-o", "o.csv", "--rejects", ""],
            "rejects='': an empty name; expected a file name, or - for stdout",
        ),
        (["/dev/zero", "-o", "o.csv"], "input=/dev/zero: is not a regular file (a device, a pipe or a socket)"),
    ],
)
def test_an_empty_name_or_a_device_is_refused(tmp_path, monkeypatch, arguments, message):
    # "" is an unset shell variable: read as the working folder it dosed every file in it
    monkeypatch.chdir(tmp_path)
    Path("in.csv").write_text("patient_id,height_cm,weight_kg\nA,175,70\n")
    Path("other.csv").write_text("patient_id,height_cm,weight_kg\nZ,160,60\n")
    assert one_line_error(cli("cohort", *arguments, "--dose", "75mg/m2")) == f"error: {message}"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv", "other.csv"]
    with pytest.raises(DoseCalcError, match="^input='': an empty name"):
        convert_file("", "o.csv", dose="75 mg/m^2")


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
@pytest.mark.parametrize(
    "mark, found", [(b"\xef\xbb\xbf", "UTF-8's byte-order mark"), (b"", "characters written in UTF-8")]
)
def test_a_utf8_file_read_as_another_encoding_is_refused(tmp_path, encoding, mark, found):
    # UTF-8's mark read as latin-1 is "ï»¿" in the first header, and an id "José" becomes "JosÃ©" (so that "José"
    # and "JOSÉ", one patient written two ways, are no longer alike)
    source = tmp_path / "in.csv"
    source.write_bytes(mark + b"patient_id,height_cm,weight_kg\nJos\xc3\xa9,175,70\n")
    line = one_line_error(
        cli("cohort", str(source), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2", "--encoding", encoding)
    )
    assert line == (
        f"error: input={source}: holds {found}: it is UTF-8 text, not {encoding}; "
        "read it without --encoding (encoding= in Python)"
    )
    latin = tmp_path / "latin.csv"  # José in latin-1: read as latin-1
    latin.write_bytes(b"patient_id,height_cm,weight_kg\nJos\xe9,175,70\n")
    assert (
        cli("cohort", str(latin), "-o", str(tmp_path / "l.csv"), "--dose", "75mg/m2", "--encoding", encoding).exit_code
        == 0
    )
    convert_file(source, tmp_path / "o.csv", dose="75 mg/m^2")
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()[1].startswith("José,")


_KILLED_AFTER_ONE_RENAME = """
import os, sys
from dosecalc.cli import app
replace = os.replace
def renaming(src, dst):
    replace(src, dst)
    if not str(dst).endswith(".json"):
        os._exit(9)  # killed (the OOM killer, a power cut) after the first file of the run is placed
os.replace = renaming
app(sys.argv[1:])
"""


def test_a_run_killed_between_its_renames_leaves_no_record_beside_another_runs_file(tmp_path):
    # the last run's records are removed before any file is placed: a file left of one run and one of the
    # other carry no record, never the record of the run that did not write them
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nOLD,175,70\nOLDBAD,1,70\n")
    out, rejects = tmp_path / "o.csv", tmp_path / "r.csv"
    assert cli("cohort", str(source), "-o", str(out), "--rejects", str(rejects), "--dose", "75mg/m2").exit_code == 3
    assert (tmp_path / "o.csv.json").exists() and (tmp_path / "r.csv.json").exists()
    source.write_text("patient_id,height_cm,weight_kg\nNEW,180,80\nNEWBAD,2,80\n")
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLED_AFTER_ONE_RENAME,
            "cohort",
            str(source),
            "-o",
            str(out),
            "--rejects",
            str(rejects),
            "--dose",
            "75mg/m2",
        ],
        capture_output=True,
    )
    assert killed.returncode == 9
    assert sorted(["NEW" in path.read_text() for path in (out, rejects)]) == [False, True]  # one file of each run
    assert not (tmp_path / "o.csv.json").exists() and not (tmp_path / "r.csv.json").exists()
    # the next run finds the killed run's temporary files and removes them
    assert cli("cohort", str(source), "-o", str(out), "--rejects", str(rejects), "--dose", "75mg/m2").exit_code == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv", "o.csv", "o.csv.json", "r.csv", "r.csv.json"]
