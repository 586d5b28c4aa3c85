"""Cohort files end to end, through the library and the CLI: every row written or rejected."""

import contextlib
import csv
import doctest
import errno
import json
import math
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import dosecalc.cohort_io
from dosecalc import Q_, patient_dose
from dosecalc.cli import app
from dosecalc.cohort_io import convert_file
from dosecalc.errors import DoseCalcError

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "cohort.csv"
# the five bad rows of examples/cohort.csv, by row number
EXAMPLE_REJECTS = {
    7: "weight_lb is missing",
    12: "height_cm='-172.0': expected a number; a measurement has no sign",
    18: "height_cm=1.68 cm: expected 20-280 cm; did you mean 1.68 m?",
    25: "height_cm='5'7\"': expected a number; the number alone: a unit in a cell is not read (the column's unit is in its name or its mapping)",
    30: "weight_lb=0 lb: expected 0.2-700 kg",
}


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def write_patients(path, rows, header="patient_id,height_cm,weight_lb"):
    path.write_text(header + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


@pytest.fixture
def small_batches(monkeypatch):
    # a few rows per batch, so small files stream in several batches
    monkeypatch.setattr(dosecalc.cohort_io, "BLOCK_BYTES", 64)
    monkeypatch.setattr(dosecalc.cohort_io, "BATCH_ROWS", 3)
    monkeypatch.setattr(dosecalc.cohort_io, "WRITE_ROWS", 3)
    monkeypatch.setattr(dosecalc.cohort_io, "PARQUET_GROUP_ROWS", 3)


def test_docstring_examples():
    failures, tried = doctest.testmod(dosecalc.cohort_io, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_example_cohort(tmp_path, small_batches):
    seen = []
    summary = convert_file(
        EXAMPLE, tmp_path / "dosed.csv", dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv", progress=seen.append
    )
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (36, 31, 5)
    assert len(seen) > 1 and seen == sorted(seen) and seen[-1] == 36  # once per batch
    given = read_csv(EXAMPLE)
    dosed, rejects = read_csv(tmp_path / "dosed.csv"), read_csv(tmp_path / "rejects.csv")
    # the rejects: each row's fields as given, its 1-based row number and the reason
    assert {int(row["row"]): row["reason"] for row in rejects} == EXAMPLE_REJECTS
    for row in rejects:
        assert {key: row[key] for key in given[0]} == given[int(row["row"]) - 1]
    # the dosed rows: the others, in order, their fields untouched (height and weight as the numbers read from
    # them: "175.0" is written 175), numbers equal to the scalar core's
    kept = [row for number, row in enumerate(given, 1) if number not in EXAMPLE_REJECTS]
    numbers = ("height_cm", "weight_lb")
    assert [{key: row[key] for key in given[0] if key not in numbers} for row in dosed] == [
        {key: row[key] for key in given[0] if key not in numbers} for row in kept
    ]
    assert [[float(row[key]) for key in numbers] for row in dosed] == [
        [float(row[key]) for key in numbers] for row in kept
    ]
    for row in dosed:
        expected = patient_dose(
            "75 mg/m^2", height=Q_(float(row["height_cm"]), "cm"), weight=Q_(float(row["weight_lb"]), "lb")
        )
        assert float(row["dose_mg"]) == expected.dose.m_as("mg")  # CSV floats round-trip exactly
        assert float(row["bsa_m2"]) == expected.bsa.m_as("m**2")
        assert float(row["dose_mg_per_kg"]) == expected.dose_per_kg.m_as("mg/kg")
        assert row["bsa_method"] == "mosteller"
    assert summary.to_dict() == json.loads(json.dumps(summary.to_dict()))


def test_row_numbers_are_global_across_batches(tmp_path, small_batches):
    rows = [(f"p{i}", 1.7 if i % 4 == 0 else 170, 150) for i in range(1, 30)]
    source = write_patients(tmp_path / "in.csv", rows)
    summary = convert_file(source, tmp_path / "out.csv", dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv")
    assert summary.rows_read == 29 == summary.rows_written + summary.rows_rejected
    rejects = read_csv(tmp_path / "rejects.csv")
    assert [int(row["row"]) for row in rejects] == [4, 8, 12, 16, 20, 24, 28]
    assert [row["patient_id"] for row in rejects] == ["p4", "p8", "p12", "p16", "p20", "p24", "p28"]


def test_parquet_out_and_in(tmp_path, small_batches):
    summary = convert_file(
        EXAMPLE, tmp_path / "dosed.parquet", dose="1.5 mg/kg", rejects_path=tmp_path / "rejects.parquet"
    )
    dosed = pq.read_table(tmp_path / "dosed.parquet")
    assert dosed.num_rows == summary.rows_written == 31
    assert pq.read_table(tmp_path / "rejects.parquet")["row"].to_pylist() == sorted(EXAMPLE_REJECTS)
    assert dosed.schema.field("dose_mg").type == pa.float64()
    # a Parquet input with numeric columns gives the same doses as the CSV
    typed = pcsv.read_csv(EXAMPLE, convert_options=pcsv.ConvertOptions(column_types={"height_cm": pa.string()}))
    pq.write_table(typed, tmp_path / "patients.parquet")
    again = convert_file(tmp_path / "patients.parquet", tmp_path / "again.csv", dose="1.5 mg/kg")
    assert (again.rows_read, again.rows_written, again.rows_rejected) == (36, 31, 5)
    assert [float(row["dose_mg"]) for row in read_csv(tmp_path / "again.csv")] == dosed["dose_mg"].to_pylist()


@pytest.mark.parametrize("dose, expected_mg", [("1.5 mg/kg", [105.0, 90.0]), ("100 mg", [100.0, 100.0])])
def test_doses_without_bsa_write_parquet(tmp_path, dose, expected_mg):
    # no height column: no BSA, so bsa_method is null in every row, which Parquet must still write
    source = write_patients(tmp_path / "in.csv", [("a", 70), ("b", 60)], header="patient_id,weight_kg")
    summary = convert_file(source, tmp_path / "dosed.parquet", dose=dose, rejects_path=tmp_path / "rejects.parquet")
    assert (summary.rows_written, summary.rows_rejected) == (2, 0)
    dosed = pq.read_table(tmp_path / "dosed.parquet")
    # 1.5 mg/kg × 70 kg = 105 mg, × 60 kg = 90 mg; a flat dose as prescribed
    assert dosed["dose_mg"].to_pylist() == expected_mg
    assert dosed["bsa_m2"].to_pylist() == dosed["bsa_method"].to_pylist() == [None, None]


def test_per_row_doses_and_mapped_columns(tmp_path):
    source = tmp_path / "extract.csv"
    source.write_text("MRN,Ht,Wt,dose_mg_m2\nA,69,154,75\nB,64,121,60\nC,70,,75\n")
    summary = convert_file(
        source,
        tmp_path / "out.csv",
        column_map={"height": "Ht", "weight": "Wt"},
        column_units={"height": "in", "weight": "lb"},
        rejects_path=tmp_path / "rejects.csv",
    )
    assert (summary.rows_written, summary.rows_rejected) == (2, 1)
    doses = [float(row["dose_mg"]) for row in read_csv(tmp_path / "out.csv")]
    assert doses == [
        patient_dose(Q_(75, "mg/m**2"), height=Q_(69, "in"), weight=Q_(154, "lb")).dose.m_as("mg"),
        patient_dose(Q_(60, "mg/m**2"), height=Q_(64, "in"), weight=Q_(121, "lb")).dose.m_as("mg"),
    ]
    assert read_csv(tmp_path / "rejects.csv")[0]["reason"] == "Wt is missing"


def test_ids_pass_through_as_typed(tmp_path):
    source = write_patients(tmp_path / "in.csv", [("007", "175", "154"), ("1e3", "160", "130")])
    convert_file(source, tmp_path / "out.csv", dose="75 mg/m^2")
    assert [row["patient_id"] for row in read_csv(tmp_path / "out.csv")] == ["007", "1e3"]


def test_quoted_line_breaks_across_batches(tmp_path, small_batches):
    # RFC 4180: a quoted value may hold line breaks (a note in an EHR extract), also where a batch ends
    notes = ['"seen\nby Dr. A"' if i % 2 else "none" for i in range(40)]
    source = write_patients(
        tmp_path / "in.csv",
        [(f"p{i}", 170, 150, notes[i]) for i in range(40)],
        header="patient_id,height_cm,weight_lb,note",
    )
    summary = convert_file(source, tmp_path / "out.csv", dose="75 mg/m^2")
    assert (summary.rows_read, summary.rows_written) == (40, 40)
    dosed = read_csv(tmp_path / "out.csv")
    assert [row["note"] for row in dosed] == [note.strip('"') for note in notes]
    assert [row["patient_id"] for row in dosed] == [f"p{i}" for i in range(40)]


@pytest.mark.parametrize("end", ["\n", "\r\n", ""])
def test_header_only_file(tmp_path, end):
    # a header alone is a file of no rows, also without a line break after it (which pyarrow refuses)
    source = tmp_path / "in.csv"
    source.write_bytes(b"patient_id,height_cm,weight_lb" + end.encode())
    summary = convert_file(source, tmp_path / "out.csv", dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv")
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (0, 0, 0)
    assert (tmp_path / "out.csv").read_text().replace('"', "").startswith("patient_id,height_cm,weight_lb,row,bsa_m2")
    assert (tmp_path / "rejects.csv").read_text().replace('"', "") == "patient_id,height_cm,weight_lb,row,reason\n"


def _no_files_but(folder, *names):
    return sorted(path.name for path in folder.iterdir()) == sorted(names)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_failed_run_leaves_nothing_under_the_output_name(tmp_path, small_batches, monkeypatch, suffix):
    calls = []
    real = dosecalc.cohort_io.dose_batch

    def fails_after_the_first_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:  # the first call only reads the schema; then one batch is written
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(dosecalc.cohort_io, "dose_batch", fails_after_the_first_batch)
    folder = tmp_path / "out"
    folder.mkdir()
    source = write_patients(tmp_path / "in.csv", [(f"p{i}", 170, 150) for i in range(30)])
    with pytest.raises(RuntimeError, match="disk full"):
        convert_file(source, folder / f"dosed{suffix}", dose="75 mg/m^2", rejects_path=folder / f"rejects{suffix}")
    assert len(calls) == 3
    assert _no_files_but(folder)  # no output, no rejects, no temporary file
    # an earlier output under that name is left as it was
    (folder / f"dosed{suffix}").write_text("earlier run\n")
    calls.clear()
    with pytest.raises(RuntimeError):
        convert_file(source, folder / f"dosed{suffix}", dose="75 mg/m^2")
    assert (folder / f"dosed{suffix}").read_text() == "earlier run\n" and _no_files_but(folder, f"dosed{suffix}")


@pytest.mark.parametrize("writer", ["polars", "pyarrow"])
def test_a_writer_failure_mid_run_leaves_nothing(tmp_path, small_batches, monkeypatch, writer):
    written = []
    base = dosecalc.cohort_io.PolarsCsvWriter if writer == "polars" else pcsv.CSVWriter

    class FailingWriter(base):
        def write(self, table):
            if written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written.append(table.num_rows)
            super().write(table)

    monkeypatch.setattr(dosecalc.cohort_io, "_csv_writer_class", lambda: FailingWriter if writer == "polars" else None)
    monkeypatch.setattr(dosecalc.cohort_io.pcsv, "CSVWriter", FailingWriter)
    source = write_patients(tmp_path / "in.csv", [(f"p{i}", 170, 150) for i in range(30)])
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(DoseCalcError) as raised:
        convert_file(source, folder / "dosed.csv", dose="75 mg/m^2")
    assert (
        str(raised.value)
        == f"{folder / 'dosed.csv'}: cannot be written (No space left on device); nothing was written there"
    )
    assert written and _no_files_but(folder)


@pytest.mark.parametrize(
    "content, options, match",
    [
        (None, {}, "no such file"),
        ("id,height,weight\na,170,70\n", {}, "height"),
        (
            "id,Ht,weight_kg\na,170,70\n",
            {"column_map": {"height": "Ht"}, "column_units": {"height": "cubits"}},
            "cubits",
        ),
        (
            "id,Ht,weight_kg\na,170,70\n",
            {"column_map": {"height": "Ht"}, "column_units": {"height": "kg"}},
            "a unit of height",
        ),
        ("patient_id,height_cm,weight_kg\na,170,70\nb,170,70,extra\n", {}, "Expected 3 columns, got 4"),
        ("", {}, "is empty; expected a header row, then a row per patient"),
        ("\n\n\r\n", {}, "is empty; expected a header row, then a row per patient"),  # blank lines only
        # a Parquet output with two columns of one name cannot be read back (pyarrow refuses it)
        ("patient_id,note,height_cm,weight_kg,note\na,x,170,70,y\n", {}, "2 columns named 'note'; rename all but one"),
    ],
)
def test_unusable_input_raises_and_writes_nothing(tmp_path, content, options, match):
    source = tmp_path / "in.csv"
    if content is not None:
        source.write_text(content)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(DoseCalcError, match=match) as raised:
        convert_file(source, folder / "dosed.csv", dose="75 mg/m^2", **options)
    assert "\n" not in str(raised.value)  # one line
    assert _no_files_but(folder)


def test_refuses_to_overwrite_the_input_or_write_nowhere(tmp_path, monkeypatch):
    source = write_patients(tmp_path / "in.csv", [("a", 170, 150)])
    before = source.read_text()
    monkeypatch.chdir(tmp_path)
    for output, rejects in (("in.csv", None), ("./in.csv", None), ("out.csv", "in.csv"), ("out.csv", "out.csv")):
        with pytest.raises(DoseCalcError, match="is the (input|output) file"):
            convert_file(source, output, dose="75 mg/m^2", rejects_path=rejects)
    assert source.read_text() == before
    assert _no_files_but(tmp_path, "in.csv")
    for output in ("missing/out.csv", "."):
        with pytest.raises(DoseCalcError, match="no such directory|is a directory"):
            convert_file(source, output, dose="75 mg/m^2")


# --- the CLI: a thin shell over convert_file ------------------------------------

runner = CliRunner()


def test_cli_cohort_all_converted_exits_0(tmp_path):
    source = write_patients(tmp_path / "in.csv", [("a", 175, 154), ("b", 160, 130)])
    result = runner.invoke(app, ["cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["rows_read"], summary["rows_written"], summary["rows_rejected"]) == (2, 2, 0)
    assert len(read_csv(tmp_path / "out.csv")) == 2


def test_cli_cohort_with_rejects_exits_3(tmp_path):
    result = runner.invoke(
        app,
        [
            "cohort",
            str(EXAMPLE),
            "-o",
            str(tmp_path / "dosed.parquet"),
            "--dose",
            "75mg/m2",
            "--rejects",
            str(tmp_path / "rejects.csv"),
            "--method",
            "dubois",
        ],
    )
    assert result.exit_code == 3, result.output
    # the summary's counts, not digits anywhere in it (the temporary folder's name has some)
    counts = {cells[0]: cells[1] for cells in (re.split(r" {2,}", line) for line in result.stdout.splitlines())}
    assert (counts["rows read"], counts["written"], counts["rejected"]) == ("36", "31", "5")
    assert pq.read_table(tmp_path / "dosed.parquet")["bsa_method"].to_pylist() == ["dubois"] * 31
    assert {int(row["row"]): row["reason"] for row in read_csv(tmp_path / "rejects.csv")} == EXAMPLE_REJECTS


def test_cli_cohort_mapped_columns(tmp_path):
    source = tmp_path / "extract.csv"
    source.write_text("MRN,Ht,Wt\nA,69,154\n")
    result = runner.invoke(
        app,
        [
            "cohort",
            str(source),
            "-o",
            str(tmp_path / "out.csv"),
            "--dose",
            "1.5 mg/kg",
            "--map",
            "height=Ht",
            "--height-unit",
            "in",
            "--map",
            "weight=Wt",
            "--weight-unit",
            "lb",
        ],
    )
    assert result.exit_code == 0, result.output
    assert float(read_csv(tmp_path / "out.csv")[0]["dose_mg"]) == patient_dose(
        "1.5 mg/kg", weight=Q_(154, "lb")
    ).dose.m_as("mg")


@pytest.mark.parametrize(
    "arguments, match",
    [
        (["missing.csv", "-o", "out.csv", "--dose", "75mg/m2"], "no such file"),
        (["in.csv", "-o", "in.csv", "--dose", "75mg/m2"], "is the input file"),
        (["in.csv", "-o", "out.csv", "--dose", "75"], "'75': expected"),
        (["in.csv", "-o", "out.csv", "--dose", "75mg/m2", "--map", "height=Ht", "--height-unit", "cubits"], "cubits"),
    ],
)
def test_cli_cohort_unusable_input_exits_2(tmp_path, monkeypatch, arguments, match):
    monkeypatch.chdir(tmp_path)
    write_patients(tmp_path / "in.csv", [("a", 175, 154)], header="patient_id,Ht,weight_lb")
    result = runner.invoke(app, ["cohort", *arguments])
    assert result.exit_code == 2, result.output
    assert match in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()


def test_cli_cohort_of_one_file_with_brackets_in_its_name(tmp_path):
    # a file that exists is one file, not a glob pattern: its output is the file asked for
    source = write_patients(tmp_path / "patients[2024].csv", [("a", 175, 154)])
    result = runner.invoke(app, ["cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.csv").is_file() and len(read_csv(tmp_path / "out.csv")) == 1


# each names the option as typed, not the engine's keyword (column_map, column_units, round_to, ...)
COHORT_OPTION_ERRORS = [
    (["--dose", "75"], "--dose '75': expected"),
    ([], "--dose is required for a cohort: one dose for every row (75 mg/m^2), or a column dose_mg_m2"),
    (["--dose", "75mg/m2", "--map", "bmi=BMI"], "--map 'bmi' is not known; expected one of: height, weight, dose, sex"),
    (
        ["--dose", "75mg/m2", "--map", "height=Height"],
        "--map height 'Height' is not known; expected one of: patient_id, Ht",
    ),
    (
        ["--dose", "75mg/m2", "--map", "height=Ht", "--map", "height=patient_id"],
        "--map height=patient_id: height is mapped",
    ),
    (
        ["--dose", "75mg/m2", "--map", "height=Ht", "--height-unit", "cubits"],
        "--height-unit 'cubits': expected a known unit",
    ),
    (["--dose", "75mg/m2", "--weight-unit", "kg"], "--weight-unit kg: expected lb, as column 'weight_lb' says"),
    (["--dose", "75mg/m2", "--tolerance", "5"], "--tolerance 5: applies to rounding; give --round-to or --vials"),
    (
        ["--dose", "75mg/m2", "--round-to", "5mg", "--bands", "b.csv"],
        "--round-to 5mg and --bands b.csv: expected only one of",
    ),
    (["--dose", "75mg/m2", "--round-to", "5"], "--round-to '5': expected"),
    (["--dose", "75mg/m2", "--bands", "missing.csv"], "--bands missing.csv: "),
    (["--dose", "75mg/m2", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler tcp://127.0.0.1:1: runs --engine dask"),
    (["--dose", "75mg/m2", "--workers", "0"], "--workers 0: runs --engine dask, not --engine local"),
]


@pytest.mark.parametrize(
    "arguments, message", COHORT_OPTION_ERRORS, ids=[" ".join(args) for args, _ in COHORT_OPTION_ERRORS]
)
def test_cli_cohort_errors_name_the_option(tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    write_patients(tmp_path / "in.csv", [("a", 69, 154)], header="patient_id,Ht,weight_lb")
    result = runner.invoke(app, ["cohort", "in.csv", "-o", "out.csv", *arguments])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {message}") and len(result.stderr.strip().splitlines()) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]


def test_cli_cohort_column_errors_name_the_column(tmp_path):
    # a column "weight" without a unit is named as the column, not as the --weight of the lookups
    source = write_patients(tmp_path / "in.csv", [("a", 70)], header="patient_id,weight")
    result = runner.invoke(app, ["cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "1mg/kg"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: weight=a number with no unit: expected a unit in the name")


def test_an_output_name_ending_in_a_slash_is_a_folder(tmp_path, monkeypatch):
    # convert_file writes files: a folder's name is refused (Path() would drop the "/" and write a file "dosed")
    monkeypatch.chdir(tmp_path)
    source = write_patients(tmp_path / "in.csv", [("a", 175, 154)])
    for output, rejects in (("dosed/", None), ("dosed.csv", "rejects/")):
        with pytest.raises(DoseCalcError, match=r"=(dosed|rejects)/: names a folder; expected a file name"):
            convert_file(source, output, dose="75 mg/m^2", rejects_path=rejects)
    assert _no_files_but(tmp_path, "in.csv")
    # the CLI takes "-o dosed/" as a dataset of one file: a folder, as asked
    result = runner.invoke(app, ["cohort", "in.csv", "-o", "dosed/", "--dose", "75mg/m2", "--rejects", "rejects/"])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "dosed").iterdir()) == ["_provenance.json", "in.parquet"]
    assert (tmp_path / "rejects").is_dir()


_TERMINATED = """
import os, signal, sys
import dosecalc.cohort_io as cohort_io
from dosecalc.cli import app
cohort_io.BLOCK_BYTES, cohort_io.BATCH_ROWS, cohort_io.WRITE_ROWS, real, calls = 64, 3, 3, cohort_io.dose_batch, []
cohort_io.PARQUET_GROUP_ROWS = 3

def dose_batch(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:  # the schema, one batch written, then: kill
        os.kill(os.getpid(), signal.SIGTERM)
    return real(*args, **kwargs)

cohort_io.dose_batch = dose_batch
app(["cohort", "in.csv", "-o", sys.argv[1], "--rejects", sys.argv[2], "--dose", "75mg/m2"], prog_name="dosecalc")
"""


@pytest.mark.parametrize("output, rejects", [("dosed.csv", "rejects.csv"), ("dosed/", "rejects/")])
def test_a_terminated_run_leaves_nothing(tmp_path, output, rejects):
    # SIGTERM (kill, a batch system's time limit) ends a run as Ctrl-C does: no output, no temporary file
    write_patients(tmp_path / "in.csv", [(f"p{i}", 170, 150) for i in range(30)])
    done = subprocess.run(
        [sys.executable, "-c", _TERMINATED, output, rejects], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert _no_files_but(tmp_path, "in.csv")


@pytest.mark.parametrize("values, kind", [([[1, 8, 15]], "list"), ([b"\x00\x01"], "binary")])
def test_a_column_csv_cannot_hold_is_an_error_not_a_traceback(tmp_path, values, kind):
    # a list or bytes column of a Parquet input passes through to Parquet; CSV cannot hold it: one line, nothing
    # written (bytes were a traceback of polars' writer, exit 1)
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"height_cm": [175.0], "weight_kg": [70.0], "visits": values}), source)
    with pytest.raises(
        DoseCalcError, match=rf"out.csv: cannot be written \((Unsupported Type:list|column 'visits' holds {kind})"
    ):
        convert_file(source, tmp_path / "out.csv", dose="75 mg/m^2")
    assert _no_files_but(tmp_path, "in.parquet")
    convert_file(source, tmp_path / "out.parquet", dose="75 mg/m^2")
    assert pq.read_table(tmp_path / "out.parquet")["visits"].to_pylist() == values


# --- hospital exports: dialects, spreadsheets, formats, streams ---------------------------

# Mosteller (1987) by hand: sqrt(170.5 cm x 70 kg / 3600) = sqrt(3.315278) = 1.820790 m²; x 75 mg/m² = 136.559 mg
MOSTELLER_170_5_70 = math.sqrt(170.5 * 70 / 3600)


def cli(*arguments, input=None):
    return CliRunner().invoke(app, list(arguments), input=input)


def one_line_error(result):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_a_semicolon_file_read_with_commas_gets_the_delimiter_hint(tmp_path):
    (tmp_path / "in.csv").write_text("patient_id;height_cm;weight_kg\nA;170,5;70\nB;1,70;70\n")
    with pytest.raises(DoseCalcError, match="which looks ';'-separated; read it with --delimiter ';'"):
        convert_file(tmp_path / "in.csv", tmp_path / "out.csv", dose="75 mg/m^2")
    line = one_line_error(cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2"))
    assert "looks ';'-separated" in line and "weight column" not in line
    (tmp_path / "tabs.csv").write_text("patient_id\theight_cm\tweight_kg\nA\t170\t70\n")
    with pytest.raises(DoseCalcError, match="looks tab-separated; read it with --delimiter tab"):
        convert_file(tmp_path / "tabs.csv", tmp_path / "out.csv", dose="75 mg/m^2")
    assert _no_files_but(tmp_path, "in.csv", "tabs.csv")


def test_semicolons_and_decimal_commas(tmp_path):
    (tmp_path / "in.csv").write_text("patient_id;height_cm;weight_kg\nA;170,5;70\nB;1.705;70\nC;1,70;70\n")
    summary = convert_file(
        tmp_path / "in.csv",
        tmp_path / "out.csv",
        dose="75 mg/m^2",
        rejects_path=tmp_path / "rejects.csv",
        delimiter=";",
        decimal_comma=True,
    )
    assert (summary.rows_written, summary.rows_rejected) == (1, 2)
    dosed, rejects = read_csv(tmp_path / "out.csv"), read_csv(tmp_path / "rejects.csv")
    assert float(dosed[0]["height_cm"]) == 170.5 and float(dosed[0]["bsa_m2"]) == MOSTELLER_170_5_70
    assert float(dosed[0]["dose_mg"]) == 75 * MOSTELLER_170_5_70
    # with a decimal comma, "1.705" may be 1705 written with a thousands point: refused, not guessed
    assert [row["reason"] for row in rejects] == [
        "height_cm='1.705': expected a number with a decimal comma, such as 1,75",
        "height_cm=1,70 cm: expected 20-280 cm; did you mean 1,70 m?",
    ]
    assert [row["height_cm"] for row in rejects] == ["1.705", "1,70"]  # as typed


@pytest.mark.parametrize("encoding, text", [("latin-1", "José Müller"), ("cp1252", "Łukasz € Ørsted")])
def test_encodings(tmp_path, encoding, text):
    text = text.encode(encoding, "replace").decode(encoding)  # what the encoding holds
    (tmp_path / "in.csv").write_bytes(f"patient_id,height_cm,weight_kg\nA,170,70\n{text},170.5,70\n".encode(encoding))
    # read as UTF-8, the default: the line is named and the option suggested
    line = one_line_error(cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2"))
    assert "line 3 is not utf-8 text" in line and "--encoding latin-1 or cp1252" in line
    assert _no_files_but(tmp_path, "in.csv")
    convert_file(tmp_path / "in.csv", tmp_path / "out.csv", dose="75 mg/m^2", encoding=encoding)
    assert [row["patient_id"] for row in read_csv(tmp_path / "out.csv")] == ["A", text]  # the output is UTF-8


def test_unknown_delimiter_and_encoding_are_refused(tmp_path):
    write_patients(tmp_path / "in.csv", [("A", 170, 150)])
    # UTF-16 is another encoding, not a slip of UTF-8: no "did you mean 'utf-8'?"
    for other in ("ebcdic", "utf-16", "utf-32", "utf8-sig"):
        line = one_line_error(
            cli(
                "cohort",
                str(tmp_path / "in.csv"),
                "-o",
                str(tmp_path / "out.csv"),
                "--dose",
                "75mg/m2",
                "--encoding",
                other,
            )
        )
        assert line == f"error: --encoding {other!r} is not known; expected one of: utf-8, latin-1, cp1252"
    line = one_line_error(
        cli(
            "cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2", "--delimiter", ":"
        )
    )
    assert line == "error: --delimiter ':' is not known; expected one of: ',', ';', tab, '|'"
    # an empty delimiter is none: refused, not read as a comma
    line = one_line_error(
        cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2", "--delimiter", "")
    )
    assert line == "error: --delimiter '' is not known; expected one of: ',', ';', tab, '|'"


@pytest.mark.parametrize(
    "name, option, value, message",
    [
        ("in.csv", "--sheet", "Patients", "--sheet 'Patients': applies to a spreadsheet (.xlsx, .xlsm, .xls, .ods); "),
        (
            "in.parquet",
            "--sheet",
            "Patients",
            "--sheet 'Patients': applies to a spreadsheet (.xlsx, .xlsm, .xls, .ods); ",
        ),
        ("in.parquet", "--delimiter", ";", "--delimiter ';': applies to a CSV file; "),
        ("in.parquet", "--encoding", "latin-1", "--encoding 'latin-1': applies to a CSV file; "),
        ("in.xlsx", "--delimiter", "tab", "--delimiter 'tab': applies to a CSV file; "),
        ("in.xlsx", "--encoding", "cp1252", "--encoding 'cp1252': applies to a CSV file; "),
    ],
)
def test_a_reading_option_the_input_does_not_use_is_refused(tmp_path, name, option, value, message):
    # never ignored, nor recorded in the provenance as used
    source = tmp_path / name
    rows = [["patient_id", "height_cm", "weight_kg"], ["A", 170, 70]]
    if name.endswith(".csv"):
        write_patients(source, [("A", 170, 70)], header="patient_id,height_cm,weight_kg")
    elif name.endswith(".parquet"):
        pq.write_table(pa.table({"patient_id": ["A"], "height_cm": [170.0], "weight_kg": [70.0]}), source)
    else:
        write_xlsx(source, {"Patients": rows})
    line = one_line_error(cli("cohort", str(source), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2", option, value))
    kind = {".csv": "a CSV file", ".parquet": "a Parquet file", ".xlsx": "a spreadsheet"}[source.suffix]
    assert line == f"error: {message}input={source} is {kind}"
    assert _no_files_but(tmp_path, name)
    with pytest.raises(DoseCalcError) as raised:
        convert_file(source, tmp_path / "o.csv", dose="75 mg/m^2", **{option[2:]: value})
    assert raised.value.field == option[2:] and str(raised.value).startswith(f"{option[2:]}={value!r}: applies to ")


def test_a_sheet_of_stdin_is_refused():
    result = cli(
        "cohort",
        "-",
        "-o",
        "-",
        "--dose",
        "75mg/m2",
        "--sheet",
        "Patients",
        input="patient_id,height_cm,weight_kg\nA,170,70\n",
    )
    line = one_line_error(result)
    assert (
        line == "error: --sheet 'Patients': applies to a spreadsheet (.xlsx, .xlsm, .xls, .ods); input=- is a CSV file"
    )
    assert result.stdout == ""


def test_trailing_empty_spreadsheet_columns_are_ignored(tmp_path, small_batches):
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg,,\n" + "A,170.5,70,,\n" * 10)
    summary = convert_file(tmp_path / "in.csv", tmp_path / "out.parquet", dose="75 mg/m^2")
    table = pq.read_table(tmp_path / "out.parquet")
    assert summary.rows_written == 10 and table.column_names[:3] == ["patient_id", "height_cm", "weight_kg"]
    assert "" not in table.column_names
    # an unnamed column that holds something is not dropped unseen
    (tmp_path / "filled.csv").write_text("patient_id,height_cm,weight_kg,,\n" + "A,170,70,,\n" * 8 + "B,170,70,,x\n")
    with pytest.raises(DoseCalcError, match="column 5 has no name in the header but holds 'x'"):
        convert_file(tmp_path / "filled.csv", tmp_path / "out2.csv", dose="75 mg/m^2")
    assert not (tmp_path / "out2.csv").exists()


def test_an_unnamed_column_anywhere_is_dropped_when_empty_and_refused_when_not(tmp_path, small_batches):
    # a pandas index, a spacer column: never written under a name dosecalc would invent (column_1)
    header = ",patient_id,,height_cm,weight_kg"
    (tmp_path / "spacer.csv").write_text(header + "\n" + " ,A,,170.5,70\n" * 10)  # a space holds no value
    summary = convert_file(tmp_path / "spacer.csv", tmp_path / "out.csv", dose="75 mg/m^2")
    dosed = read_csv(tmp_path / "out.csv")
    assert summary.rows_written == 10 and list(dosed[0])[:5] == [
        "patient_id",
        "height_cm",
        "weight_kg",
        "row",
        "bsa_m2",
    ]
    assert dosed[9]["patient_id"] == "A" and float(dosed[9]["dose_mg"]) == 75 * MOSTELLER_170_5_70
    for number, line in ((1, "7,A,,170,70"), (3, ",A,x,170,70")):  # in the last batch
        (tmp_path / "filled.csv").write_text(header + "\n" + ",A,,170,70\n" * 8 + line + "\n")
        with pytest.raises(DoseCalcError) as raised:
            convert_file(tmp_path / "filled.csv", tmp_path / "out2.csv", dose="75 mg/m^2")
        value = line.split(",")[number - 1]
        assert str(raised.value) == (
            f"input={tmp_path / 'filled.csv'}: column {number} has no name in the header but holds {value!r}; "
            "name it, or delete the column"
        )
    assert not (tmp_path / "out2.csv").exists()


class SheetError(str):
    """A spreadsheet cell holding an error value, such as ``#N/A``."""


def write_xlsx(path, sheets):
    """A minimal .xlsx (Office Open XML) with inline strings and numbers: {sheet name: rows}."""
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value):
        if isinstance(value, SheetError):  # as Excel writes one: its type "e", its text the value
            return f'<c t="e"><v>{escape(value)}</v></c>'
        if isinstance(value, (int, float)):
            return f"<c><v>{value!r}</v></c>"
        return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'

    with zipfile.ZipFile(path, "w") as book:
        names = list(sheets)
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="r{i}"/>' for i, name in enumerate(names, 1))
            + "</sheets></workbook>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="r{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Relationships>",
        )
        for i, name in enumerate(names, 1):
            rows = "".join(f"<row>{''.join(cell(value) for value in row)}</row>" for row in sheets[name])
            book.writestr(
                f"xl/worksheets/sheet{i}.xml",
                '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"<sheetData>{rows}</sheetData></worksheet>",
            )
    return path


def test_an_xlsx_sheet_is_read(tmp_path):
    pytest.importorskip("python_calamine")
    book = write_xlsx(
        tmp_path / "clinic.xlsx",
        {
            "Notes": [["exported by the pharmacy"]],
            "Patients": [["patient_id", "height_cm", "weight_kg"], ["007", 170.5, 70], ["008", 1.7, 70]],
        },
    )
    summary = convert_file(
        book, tmp_path / "out.csv", dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv", sheet="Patients"
    )
    assert (summary.rows_written, summary.rows_rejected) == (1, 1)
    dosed = read_csv(tmp_path / "out.csv")
    assert dosed[0]["patient_id"] == "007" and float(dosed[0]["dose_mg"]) == 75 * MOSTELLER_170_5_70
    assert (
        read_csv(tmp_path / "rejects.csv")[0]["reason"] == "height_cm=1.7 cm: expected 20-280 cm; did you mean 1.7 m?"
    )
    line = one_line_error(
        cli("cohort", str(book), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2", "--sheet", "Patienten")
    )
    assert line == "error: --sheet 'Patienten' is not known; expected one of: Notes, Patients; did you mean 'Patients'?"


def test_an_xlsx_error_cell_is_its_text_never_an_empty_cell(tmp_path):
    # python-calamine reads #N/A as empty: an empty prior exposure is none, an empty weight "missing"; read as the
    # text a CSV export of the sheet holds, the grammar refuses it, and its row is rejected showing it
    pytest.importorskip("python_calamine")
    rows = [
        ["patient_id", "drug", "ordered_mg", "cycle", "day", "height_cm", "weight_kg", "prior_mg_m2"],
        ["A", "doxorubicin", 92, 6, 1, 175, 70, SheetError("#N/A")],
        ["B", "doxorubicin", 92, 6, 1, 175, 70, ""],
        ["C", "doxorubicin", 92, 6, 1, SheetError("#VALUE!"), 70, "360"],
    ]
    book = write_xlsx(tmp_path / "orders.xlsx", {"Orders": rows, "Notes": [[SheetError("#REF!")]]})
    result = runner.invoke(
        app,
        [
            "verify",
            "r-chop-21",
            "--orders",
            str(book),
            "-o",
            str(tmp_path / "v.csv"),
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 4, result.output
    rejected = read_csv(tmp_path / "r.csv")
    assert [(row["patient_id"], row["prior_mg_m2"], row["height_cm"]) for row in rejected] == [
        ("A", "#N/A", "175"),
        ("C", "360", "#VALUE!"),
    ]
    assert rejected[0]["reason"] == "prior_mg_m2=#N/A: expected an exposure of 0-50000 mg/m², or an empty cell for none"
    assert rejected[1]["reason"] == "doxorubicin: height_cm='#VALUE!': expected a number"
    assert [row["patient_id"] for row in read_csv(tmp_path / "v.csv")] == ["B"]


def test_an_xlsx_number_cell_is_a_number_under_a_decimal_comma(tmp_path):
    # a cell holding the number 170.5 is a number, not the text "170.5" to refuse for its "."; a text cell is
    # read as the file's others are ("70,5")
    pytest.importorskip("python_calamine")
    rows = [["patient_id", "height_cm", "weight_kg"], ["A", 170.5, "70"], ["B", 170, "70,5"], ["C", "170.5", 70]]
    book = write_xlsx(tmp_path / "clinic.xlsx", {"Patients": rows})
    summary = convert_file(
        book, tmp_path / "out.csv", dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv", decimal_comma=True
    )
    assert (summary.rows_written, summary.rows_rejected) == (2, 1)
    dosed = read_csv(tmp_path / "out.csv")
    assert [(row["patient_id"], row["height_cm"], row["weight_kg"]) for row in dosed] == [
        ("A", "170.5", "70.0"),
        ("B", "170.0", "70.5"),
    ]
    assert read_csv(tmp_path / "rejects.csv")[0]["patient_id"] == "C"  # the text "170.5" under a decimal comma


def test_an_xlsx_error_cell_is_placed_by_its_reference(tmp_path):
    # Excel writes each cell's reference (E4), other writers a prefix to each tag (x:c); a sheet written from C3
    # is read from its first row that holds a value: its header
    pytest.importorskip("python_calamine")
    book = write_xlsx(tmp_path / "clinic.xlsx", {"Patients": [["patient_id", "height_cm", "weight_kg"]]})
    sheet = (
        '<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:sheetData><x:row r="3"><x:c r="C3" t="inlineStr"><x:is><x:t>patient_id</x:t></x:is></x:c>'
        '<x:c r="D3" t="inlineStr"><x:is><x:t>height_cm</x:t></x:is></x:c>'
        '<x:c r="E3" t="inlineStr"><x:is><x:t>weight_kg</x:t></x:is></x:c></x:row>'
        '<x:row r="4"><x:c r="C4" t="inlineStr"><x:is><x:t>A</x:t></x:is></x:c><x:c r="D4"><x:v>170</x:v></x:c>'
        "<x:c r='E4' t='e'><x:f>NA()</x:f><x:v>#N/A</x:v></x:c></x:row>"
        '<x:row r="5"><x:c r="C5" t="inlineStr"><x:is><x:t>B</x:t></x:is></x:c><x:c r="D5"><x:v>170</x:v></x:c>'
        '<x:c r="E5"><x:v>70</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    _replace_member(book, "xl/worksheets/sheet1.xml", sheet.encode())
    summary = convert_file(book, tmp_path / "out.csv", dose="75 mg/m^2", rejects_path=tmp_path / "rejects.csv")
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (2, 1, 1)
    assert read_csv(tmp_path / "rejects.csv") == [
        {
            "patient_id": "A",
            "height_cm": "170",
            "weight_kg": "#N/A",
            "row": "1",
            "reason": "weight_kg='#N/A': expected a number",
        }
    ]
    assert read_csv(tmp_path / "out.csv")[0]["patient_id"] == "B"


def _replace_member(book, name, data):
    import zipfile

    with zipfile.ZipFile(book) as old:
        members = {item: old.read(item) for item in old.namelist()}
    members[name] = data
    with zipfile.ZipFile(book, "w") as new:
        for item, content in members.items():
            new.writestr(item, content)


def write_ods(path, cells):
    """A minimal .ods: one sheet of rows of (office:value-type, calcext:value-type, text) cells."""
    import zipfile

    rows = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="{kind}" calcext:value-type="{shown}"'
            + (f' office:value="{text}"' if kind == "float" else "")
            + (' office:string-value=""' if shown == "error" else "")  # as LibreOffice writes an error
            + f"><text:p>{text}</text:p></table:table-cell>"
            for kind, shown, text in row
        )
        + "</table:table-row>"
        for row in cells
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("META-INF/manifest.xml", manifest)
        book.writestr("content.xml", content)
    return path


def test_spreadsheets_whose_error_cells_cannot_be_seen_are_refused(tmp_path):
    pytest.importorskip("python_calamine")
    text = [("string", "string", name) for name in ("patient_id", "height_cm", "weight_kg")]
    good = write_ods(
        tmp_path / "good.ods", [text, [("string", "string", "A"), ("float", "float", "170"), ("float", "float", "70")]]
    )
    bad = write_ods(tmp_path / "bad.ods", [text, [("string", "string", "A"), ("string", "error", "#N/A")]])
    summary = convert_file(good, tmp_path / "out.csv", dose="75 mg/m^2")
    assert summary.rows_read == 1
    line = one_line_error(cli("cohort", str(bad), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line == (
        f"error: input={bad}: holds cells with an error value (#N/A), which would be read as empty ones; "
        "correct or clear them, or save it as .xlsx or CSV"
    )
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # an OLE header: a workbook's first bytes
    line = one_line_error(cli("cohort", str(old), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line == (
        f"error: input={old}: an .xls workbook's error cells (#N/A) would be read as empty ones; save it as .xlsx or CSV"
    )
    assert _no_files_but(tmp_path, "good.ods", "bad.ods", "old.xls", "out.csv", "out.csv.json")


@pytest.mark.parametrize(
    "rows, column, value",
    [
        ([["patient_id", "height_cm", "weight_kg", ""], ["A", 170, 70, ""], ["B", 170, 70, "x"]], "column 4", "'x'"),
        ([["patient_id", "", "height_cm", "weight_kg"], ["A", 7, 170, 70]], "column 2", "'7'"),
        ([["", "height_cm", "weight_kg"], ["A", 170, 70]], "column 1", "'A'"),
    ],
)
def test_an_xlsx_column_without_a_name_that_holds_a_value_is_refused(tmp_path, rows, column, value):
    # as in a CSV file: data without a name is neither dropped unseen nor written under an invented name
    pytest.importorskip("python_calamine")
    book = write_xlsx(tmp_path / "clinic.xlsx", {"Patients": rows})
    line = one_line_error(cli("cohort", str(book), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert (
        line
        == f"error: input={book}: {column} has no name in the header but holds {value}; name it, or delete the column"
    )
    assert _no_files_but(tmp_path, "clinic.xlsx")


def test_an_xlsx_columns_without_a_name_or_a_value_are_dropped(tmp_path):
    # wherever they are; a cell of spaces holds no value, as in a CSV file
    pytest.importorskip("python_calamine")
    rows = [["patient_id", "", "height_cm", "weight_kg", "", ""], ["A", "", 170.5, 70, " ", ""]]
    book = write_xlsx(tmp_path / "clinic.xlsx", {"Patients": rows})
    convert_file(book, tmp_path / "out.csv", dose="75 mg/m^2")
    dosed = read_csv(tmp_path / "out.csv")
    assert list(dosed[0])[:5] == ["patient_id", "height_cm", "weight_kg", "row", "bsa_m2"]
    assert float(dosed[0]["dose_mg"]) == 75 * MOSTELLER_170_5_70


@pytest.mark.parametrize(
    "sheet_xml, cause", [(None, "WorksheetNotFound: Patients"), (b"<worksheet><sheetData><row>", "XmlError: sheetData")]
)
def test_a_workbook_whose_sheet_is_missing_or_corrupt_is_one_line(tmp_path, sheet_xml, cause):
    import zipfile

    pytest.importorskip("python_calamine")
    whole = write_xlsx(
        tmp_path / "whole.xlsx", {"Patients": [["patient_id", "height_cm", "weight_kg"], ["A", 170, 70]]}
    )
    book = tmp_path / "clinic.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(book, "w") as damaged:
        for item in source.infolist():
            if "worksheets/" not in item.filename:
                damaged.writestr(item, source.read(item))
            elif sheet_xml is not None:
                damaged.writestr(item, sheet_xml)
    line = one_line_error(cli("cohort", str(book), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line == f"error: input={book}: not a readable spreadsheet ({cause})"
    assert _no_files_but(tmp_path, "whole.xlsx", "clinic.xlsx")


def test_an_xlsx_without_the_extra_names_it(tmp_path, monkeypatch):
    book = write_xlsx(
        tmp_path / "clinic.xlsx", {"Patients": [["patient_id", "height_cm", "weight_kg"], ["A", 170, 70]]}
    )
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # as when it is not installed
    with pytest.raises(
        DoseCalcError, match=r"reading a spreadsheet needs python-calamine \(pip install 'dosecalc\[xlsx\]'\)"
    ):
        convert_file(book, tmp_path / "out.csv", dose="75 mg/m^2")
    assert _no_files_but(tmp_path, "clinic.xlsx")


def test_tsv_out_is_tab_separated_and_numbers_are_unquoted(tmp_path):
    write_patients(tmp_path / "in.csv", [("007", "170.50", 154)])
    convert_file(tmp_path / "in.csv", tmp_path / "out.tsv", dose="75 mg/m^2")
    header, row = (tmp_path / "out.tsv").read_text().splitlines()
    assert header.split("\t")[:3] == ["patient_id", "height_cm", "weight_lb"]
    cells = row.split("\t")
    assert cells[:3] == ["007", "170.5", "154.0"]  # ids as typed; numbers as the shortest text that reads back
    assert all(not cell.startswith('"') for cell in cells)


@pytest.mark.parametrize("name", ["out.xlsx", "out.json", "out.csv.gz"])
def test_an_output_dosecalc_cannot_write_is_refused(tmp_path, name):
    write_patients(tmp_path / "in.csv", [("A", 170, 150)])
    line = one_line_error(cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / name), "--dose", "75mg/m2"))
    assert f"dosecalc cannot write {pathlib.Path(name).suffix} files" in line
    assert _no_files_but(tmp_path, "in.csv")


def test_stdin_to_stdout():
    text = "patient_id,height_cm,weight_kg\nA,170.5,70\nB,1.7,70\n"
    result = cli("cohort", "-", "-o", "-", "--dose", "75mg/m2", input=text)
    assert result.exit_code == 3, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [row["patient_id"] for row in rows] == ["A"] and float(rows[0]["dose_mg"]) == 75 * MOSTELLER_170_5_70
    assert "rows read" in result.stderr  # the summary goes to stderr, away from the data
    result = cli("cohort", "-", "-o", "-", "--rejects", "-", "--dose", "75mg/m2", input=text)
    assert "write the rejects to a file" in one_line_error(result)


def test_rejects_on_stdout_are_alone_there(tmp_path):
    # the summary goes to stderr, as with -o -: stdout is a CSV of the rejects and nothing else
    text = "patient_id,height_cm,weight_kg\nA,170.5,70\nB,1.7,70\n"
    result = cli("cohort", "-", "-o", str(tmp_path / "out.csv"), "--rejects", "-", "--dose", "75mg/m2", input=text)
    assert result.exit_code == 3, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(row["patient_id"], row["row"]) for row in rows] == [("B", "2")]
    assert "rows read" in result.stderr


def test_stdout_output_keeps_its_provenance_in_the_json_summary():
    # no sidecar can sit beside stdout: the --json summary (on stderr) carries the record instead
    text = "patient_id,height_cm,weight_kg\nA,170.5,70\n"
    result = cli("cohort", "-", "-o", "-", "--dose", "75mg/m2", "--json", input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("patient_id,height_cm,weight_kg,row,bsa_m2,dose_mg")
    provenance = json.loads(result.stderr)["summary"]["provenance"]
    assert provenance["rows_read"] == provenance["rows_written"] == 1 and provenance["rows_rejected"] == 0
    assert provenance["inputs"][0]["path"] == "-" and len(provenance["inputs"][0]["sha256"]) == 64
    assert provenance["formulas"][0]["name"] == "mosteller"


def test_integers_beyond_2_53_reject_their_row(tmp_path):
    # EHR extracts code "missing" as INT64's extremes: the row is rejected, the run goes on
    heights = pa.array([170, 2**63 - 1, -(2**63), 2**53 + 1], pa.int64())
    pq.write_table(
        pa.table(
            {"patient_id": ["a", "b", "c", "d"], "height_cm": heights, "weight_kg": pa.array([70] * 4, pa.uint64())}
        ),
        tmp_path / "in.parquet",
    )
    summary = convert_file(
        tmp_path / "in.parquet", tmp_path / "out.parquet", dose="75 mg/m^2", rejects_path=tmp_path / "r.parquet"
    )
    assert (summary.rows_written, summary.rows_rejected) == (1, 3)
    reasons = pq.read_table(tmp_path / "r.parquet")["reason"].to_pylist()
    assert (
        reasons[0]
        == "height_cm=9223372036854775807: expected 20-280 cm; an integer beyond ±2**53 is a code, not a measurement"
    )
    assert all("beyond ±2**53" in reason for reason in reasons)


def test_parquet_output_keeps_numeric_inputs_numeric(tmp_path):
    write_patients(tmp_path / "in.csv", [("007", "170.50", 154), ("008", 1.7, 154)])
    convert_file(tmp_path / "in.csv", tmp_path / "out.parquet", dose="75 mg/m^2", rejects_path=tmp_path / "r.parquet")
    dosed, rejects = pq.read_table(tmp_path / "out.parquet"), pq.read_table(tmp_path / "r.parquet")
    assert dosed.schema.field("height_cm").type == dosed.schema.field("weight_lb").type == pa.float64()
    assert dosed.schema.field("patient_id").type == pa.string() and dosed["patient_id"].to_pylist() == ["007"]
    assert rejects["height_cm"].to_pylist() == ["1.7"]  # the rejects: as typed


@contextlib.contextmanager
def mounted_tmpfs(folder, options):
    """A small tmpfs at ``folder`` (a full disk, a read-only location); the test is skipped where none can be mounted."""
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, check=False
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        busy = subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode
        if busy:  # a file dosecalc left open keeps the mount busy: detach it, and fail
            subprocess.run(["umount", "-l", str(folder)], check=False)
    assert not busy, "a file on the mount was left open"


@pytest.mark.parametrize("output", ["dosed.csv", "dosed.parquet"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, output):
    write_patients(tmp_path / "in.csv", [(f"patient-{i:06d}", 170 + i % 10, 150) for i in range(20000)])
    with mounted_tmpfs(tmp_path / "disk", "size=64k") as disk:
        line = one_line_error(cli("cohort", str(tmp_path / "in.csv"), "-o", str(disk / output), "--dose", "75mg/m2"))
        assert line == f"error: {disk / output}: cannot be written (No space left on device); nothing was written there"
        assert list(disk.iterdir()) == []


def test_a_read_only_location_is_one_line_and_leaves_nothing(tmp_path):
    write_patients(tmp_path / "in.csv", [("A", 170, 150)])
    with mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        for output in ("dosed.csv", "dosed/"):
            line = one_line_error(
                cli("cohort", str(tmp_path / "in.csv"), "-o", str(folder / output), "--dose", "75mg/m2")
            )
            assert line.endswith("cannot be written (Read-only file system); nothing was written there"), line
        assert list(folder.iterdir()) == []


_KILLED = """
import os, signal, sys
import dosecalc.cohort_io as cohort_io
from dosecalc.cli import app
cohort_io.BLOCK_BYTES, cohort_io.BATCH_ROWS, cohort_io.WRITE_ROWS, real, calls = 64, 3, 3, cohort_io.dose_batch, []
cohort_io.PARQUET_GROUP_ROWS = 3

def dose_batch(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:  # the schema, one batch written, then: SIGKILL, which no handler sees
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

cohort_io.dose_batch = dose_batch
app(["cohort", "in.csv", "-o", sys.argv[1], "--rejects", sys.argv[2], "--dose", "75mg/m2"], prog_name="dosecalc")
"""


@pytest.mark.parametrize(
    "output, rejects, again",
    [
        ("dosed.csv", "rejects.csv", True),
        ("dosed/", "rejects/", True),
        # the next run without --rejects: the killed run's rejects beside its output are its too
        ("dosed.csv", "rejects.csv", False),
        ("dosed.parquet", "rejects.parquet", False),
    ],
)
def test_the_next_run_removes_what_a_killed_run_left(tmp_path, output, rejects, again):
    write_patients(tmp_path / "in.csv", [(f"p{i}", 170, 150) for i in range(30)])
    done = subprocess.run(
        [sys.executable, "-c", _KILLED, output, rejects], cwd=tmp_path, capture_output=True, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("."))
    assert len(left) == 2 and all(name.endswith(".part") for name in left)  # the killed run's temporary files
    # a temporary file of a live process (another run, now) is not touched
    alive = tmp_path / f".dosed.csv.{socket.gethostname()}-{os.getpid()}-0123abcd.part"
    alive.write_text("")
    result = cli(
        "cohort",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / output),
        *(("--rejects", str(tmp_path / rejects)) if again else ()),
        "--dose",
        "75mg/m2",
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == [alive.name]


# --- provenance: what the run was, beside what it wrote ---------------------------------


def test_provenance_in_the_csv_sidecar_and_the_parquet_metadata(tmp_path):
    import hashlib

    from dosecalc import __version__
    from dosecalc.provenance import METADATA_KEY

    source = tmp_path / "in.csv"
    write_patients(source, [("A", 170, 150), ("B", 1.7, 150), ("C", 170, ""), ("D", 171, "")])
    summary = convert_file(
        source,
        tmp_path / "dosed.csv",
        dose="75 mg/m^2",
        rejects_path=tmp_path / "rejects.parquet",
        method="dubois",
        max_dose="120 mg",
    )
    sidecar = json.loads((tmp_path / "dosed.csv.json").read_text())
    metadata = json.loads(pq.read_metadata(tmp_path / "rejects.parquet").metadata[METADATA_KEY.encode()])
    assert sidecar == metadata == summary.provenance
    assert sidecar["dosecalc_version"] == __version__
    assert sidecar["inputs"] == [{"path": str(source), "sha256": hashlib.sha256(source.read_bytes()).hexdigest()}]
    assert (sidecar["rows_read"], sidecar["rows_written"], sidecar["rows_rejected"]) == (4, 1, 3)
    assert sidecar["rejects_by_reason"] == {"weight_lb is missing": 2, "height_cm: expected 20-280 cm": 1}
    assert sidecar["options"]["dose"] == "75 mg/m^2" and sidecar["options"]["max_dose"] == "120 mg"
    assert sidecar["options"]["method"] == "dubois" and sidecar["options"]["delimiter"] == ","
    assert [formula["name"] for formula in sidecar["formulas"]] == ["dubois"]
    assert "doi:" in sidecar["formulas"][0]["reference"].lower()
    assert sidecar["started"].endswith("+00:00") and sidecar["seconds"] >= 0
    assert summary.rejects_by_reason == sidecar["rejects_by_reason"]


def test_json_and_text_summaries_count_the_reasons(tmp_path):
    write_patients(
        tmp_path / "in.csv", [("A", 170, 150), ("B", 1.7, 150), ("C", 170, ""), ("D", 171, ""), ("E", "x", 150)]
    )
    arguments = ["cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "dosed.parquet"), "--dose", "75mg/m2"]
    result = cli(*arguments, "--json")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)["summary"]
    assert summary["rejects_by_reason"] == {
        "weight_lb is missing": 2,
        "height_cm: expected 20-280 cm": 1,
        "height_cm: expected a number": 1,
    }
    assert summary["provenance"]["command"] == "dosecalc cohort"
    assert summary["provenance"]["rejects_by_reason"] == summary["rejects_by_reason"]
    text = cli(*arguments).stdout.splitlines()
    assert [line.split(None, 1) for line in text[3:6]] == [
        ["2", "weight_lb is missing"],
        ["1", "height_cm: expected 20-280 cm"],
        ["1", "height_cm: expected a number"],
    ]


def test_numbers_are_unquoted_and_floats_read_back_exactly(tmp_path):
    write_patients(tmp_path / "in.csv", [(f"p{i}", 150 + i / 7, 100 + i / 3) for i in range(20)])
    convert_file(tmp_path / "in.csv", tmp_path / "dosed.csv", dose="75 mg/m^2")
    convert_file(tmp_path / "in.csv", tmp_path / "dosed.parquet", dose="75 mg/m^2")
    expected = pq.read_table(tmp_path / "dosed.parquet")
    lines = (tmp_path / "dosed.csv").read_text().splitlines()
    for line, row in zip(lines[1:], expected.to_pylist()):
        cells = line.split(",")
        for name, cell in zip(expected.column_names, cells):
            if isinstance(row[name], float):
                assert cell == repr(row[name])  # the shortest text that reads back, unquoted
                assert float(cell) == row[name]


def test_both_csv_writers_write_the_same_values(tmp_path, monkeypatch):
    # polars' writer where installed (faster for floats), else pyarrow's: the same rows and numbers, exactly
    write_patients(
        tmp_path / "in.csv", [(f'"p{i},x"', 150 + i / 7, 100 + i / 3) for i in range(50)] + [("q", 1.7, 150)]
    )
    convert_file(tmp_path / "in.csv", tmp_path / "polars.csv", dose="75 mg/m^2", rejects_path=tmp_path / "r1.csv")
    monkeypatch.setattr(dosecalc.cohort_io, "_csv_writer_class", lambda: None)
    convert_file(tmp_path / "in.csv", tmp_path / "pyarrow.csv", dose="75 mg/m^2", rejects_path=tmp_path / "r2.csv")
    for first, second in (("polars.csv", "pyarrow.csv"), ("r1.csv", "r2.csv")):
        a, b = pcsv.read_csv(tmp_path / first), pcsv.read_csv(tmp_path / second)
        assert a.to_pylist() == b.to_pylist()


# --- the report and the progress bar -------------------------------------------------------


def test_report_is_one_self_contained_page_of_the_run(tmp_path):
    pytest.importorskip("matplotlib")
    import base64
    import html as html_module

    write_patients(
        tmp_path / "in.csv", [(f"p{i}", 150 + i, 100 + 2 * i) for i in range(40)] + [("x", 1.7, 150), ("y", 170, "")]
    )
    result = cli(
        "cohort",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "dosed.parquet"),
        "--dose",
        "75mg/m2",
        "--report",
        str(tmp_path / "report.html"),
    )
    assert result.exit_code == 3, result.output
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    # no network: nothing is fetched, every figure is inside the page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    images = re.findall(r'<h2>([^<]+)</h2><img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [title for title, _ in images] == [
        "BSA of the dosed rows",
        "dose of the dosed rows",
        "rejected rows by reason",
    ]
    assert all(base64.b64decode(png).startswith(b"\x89PNG") for _, png in images)
    assert "<tr><th>rows read</th><td>42</td></tr>" in page and "<tr><th>rejected</th><td>2</td></tr>" in page
    assert "<tr><td>1</td><td>height_cm: expected 20-280 cm</td></tr>" in page
    provenance = json.loads(html_module.unescape(re.search(r"<pre>(.*)</pre>", page, re.S).group(1)))
    assert provenance["rows_written"] == 40 and provenance["inputs"][0]["path"] == str(tmp_path / "in.csv")


def test_report_histograms_count_every_dosed_row(tmp_path):
    from dosecalc.report import histograms

    write_patients(tmp_path / "in.csv", [(f"p{i}", 150 + i, 100 + 2 * i) for i in range(40)])
    for name in ("dosed.parquet", "dosed.csv"):
        convert_file(tmp_path / "in.csv", tmp_path / name, dose="75 mg/m^2")
        drawn = histograms(tmp_path / name)
        dose_mg = pq.read_table(tmp_path / "dosed.parquet")["dose_mg"].to_numpy()
        counts, edges = drawn["dose of the dosed rows"]
        assert counts.sum() == 40 and edges[0] == dose_mg.min() and edges[-1] == dose_mg.max()


def test_report_draws_a_dollar_in_a_column_name_as_text(tmp_path):
    # "$^$" in a reason's column name was read by matplotlib as mathtext: a traceback, exit 1, no page
    (tmp_path / "in.csv").write_text("id,Ht $^$,weight_kg\nA,abc,70\nB,175,70\n", encoding="utf-8")
    result = cli(
        "cohort",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "o.csv"),
        "--dose",
        "75mg/m2",
        "--map",
        "height=Ht $^$",
        "--height-unit",
        "cm",
        "--report",
        str(tmp_path / "r.html"),
    )
    assert result.exit_code == 3, result.output
    assert "Ht $^$: expected a number" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_report_without_matplotlib_names_the_extra_before_the_run(tmp_path, monkeypatch):
    write_patients(tmp_path / "in.csv", [("A", 170, 150)])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    line = one_line_error(
        cli(
            "cohort",
            str(tmp_path / "in.csv"),
            "-o",
            str(tmp_path / "dosed.csv"),
            "--dose",
            "75mg/m2",
            "--report",
            str(tmp_path / "report.html"),
        )
    )
    assert line == "error: report: drawing the report needs matplotlib: pip install 'dosecalc[report]'"
    assert _no_files_but(tmp_path, "in.csv")


def test_progress_bar_shows_percent_rows_and_time_left(tmp_path, small_batches, monkeypatch):
    import rich.console

    monkeypatch.setattr(rich.console.Console, "is_terminal", property(lambda self: True))
    write_patients(tmp_path / "in.csv", [(f"p{i}", 170, 150) for i in range(60)])
    result = cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "dosed.csv"), "--dose", "75mg/m2")
    assert result.exit_code == 0
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stderr)
    percents = [int(number) for number in re.findall(r"(\d+)%", shown)]
    assert percents and percents == sorted(percents) and percents[-1] == 100
    assert re.search(r"100% 60 rows left \d+:\d\d:\d\d taken \d+:\d\d:\d\d", shown)


def test_stdin_errors_name_it_as_given():
    assert (
        one_line_error(cli("cohort", "-", "-o", "-", "--dose", "75mg/m2", input=""))
        == "error: input=-: is empty; expected a header row, then a row per patient"
    )
    line = one_line_error(cli("cohort", "-", "-o", "-", "--dose", "75mg/m2", input="a;b\n1;2\n"))
    assert line.startswith("error: input=-: its header is one column, 'a;b', which looks ';'-separated")


def test_example_spreadsheet_export(tmp_path):
    # examples/cohort-export.csv: the first six rows of examples/cohort.csv as a European spreadsheet saves them
    # (';', decimal commas, cp1252, CRLF, two empty trailing columns): the same doses
    export = EXAMPLE.with_name("cohort-export.csv")
    result = cli(
        "cohort",
        str(export),
        "-o",
        str(tmp_path / "export.csv"),
        "--dose",
        "75mg/m2",
        "--delimiter",
        ";",
        "--decimal-comma",
        "--encoding",
        "cp1252",
    )
    assert result.exit_code == 0, result.output
    convert_file(EXAMPLE, tmp_path / "plain.csv", dose="75 mg/m^2")
    exported, plain = read_csv(tmp_path / "export.csv"), read_csv(tmp_path / "plain.csv")[:6]
    assert [row["dose_mg"] for row in exported] == [row["dose_mg"] for row in plain]
    assert exported[1]["site"] == "Québec"
    assert "looks ';'-separated" in one_line_error(
        cli("cohort", str(export), "-o", str(tmp_path / "x.csv"), "--dose", "75mg/m2")
    )


# --- what a run loads and allocates ----------------------------------------------------------

_WITHOUT_PANDAS = """
import sys
import pyarrow as pa
from dosecalc.cohort_io import convert_file, pyarrow_without_pandas
from dosecalc.units import pint_without_dask
pint_without_dask()  # as the command line does
pyarrow_without_pandas()
for output in sys.argv[2:]:
    summary = convert_file(sys.argv[1], output, dose="75 mg/m^2", rejects_path=output + ".rejects.csv")
    assert (summary.rows_read, summary.rows_written, summary.rows_rejected) == (36, 31, 5), summary
loaded = sorted(name for name in ("pandas", "dask") if name in sys.modules)
import pandas as pd
# pandas stays importable, and pyarrow converts its frames as ever (NaN as null)
table = pa.Table.from_pandas(pd.DataFrame({"weight_kg": [70.0, float("nan")]}))
print(loaded, table.column("weight_kg").null_count)
"""


def test_a_file_run_loads_neither_pandas_nor_dask(tmp_path):
    # pyarrow's first pa.array / pa.scalar / to_numpy imports pandas (0.3 s, 40 MiB) unless told it is absent
    outputs = [str(tmp_path / "dosed.csv"), str(tmp_path / "dosed.parquet")]
    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PANDAS, str(EXAMPLE), *outputs], capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == ["[]", "1"]


def test_without_the_call_pyarrow_loads_pandas(tmp_path):
    # the test above can fail: the same run without pyarrow_without_pandas() loads pandas
    script = _WITHOUT_PANDAS.replace("pyarrow_without_pandas()\n", "")
    run = subprocess.run(
        [sys.executable, "-c", script, str(EXAMPLE), str(tmp_path / "dosed.csv")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "['pandas']"


def test_a_run_allocates_from_jemalloc_and_gives_the_pool_back(tmp_path, monkeypatch):
    # mimalloc, pyarrow's default, keeps what each batch freed; a run streams with jemalloc where it can
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    if pa.default_memory_pool().backend_name != "mimalloc" or "jemalloc" not in pa.supported_memory_backends():
        pytest.skip("pyarrow's pool here is not mimalloc, or it has no jemalloc")

    def pools_during_a_run(name):
        seen = []
        report = lambda rows: seen.append(pa.default_memory_pool().backend_name)  # noqa: E731
        convert_file(EXAMPLE, tmp_path / name, dose="75 mg/m^2", progress=report)
        return seen

    assert pools_during_a_run("dosed.csv") == ["jemalloc"]
    assert pa.default_memory_pool().backend_name == "mimalloc"
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")  # a pool chosen by the user is kept
    assert pools_during_a_run("again.csv") == ["mimalloc"]


def test_few_rejects_a_batch_are_written_in_few_row_groups(tmp_path, monkeypatch):
    # each row group's metadata stays in memory until the file is closed: 32 rejects a batch are gathered
    monkeypatch.setattr(dosecalc.cohort_io, "BATCH_ROWS", 64)
    monkeypatch.setattr(dosecalc.cohort_io, "PARQUET_GROUP_ROWS", 32)
    rows = [(f"p{i}", 1.7 if i % 10 == 0 else 170, 150) for i in range(640)]
    write_patients(tmp_path / "in.csv", rows)
    convert_file(tmp_path / "in.csv", tmp_path / "dosed.parquet", dose="75 mg/m^2", rejects_path=tmp_path / "r.parquet")
    rejects = pq.ParquetFile(tmp_path / "r.parquet")
    assert rejects.metadata.num_row_groups == 2  # 64 rejects of 10 batches, written when 32 have come
    assert rejects.read()["row"].to_pylist() == list(range(1, 641, 10))
    assert pq.ParquetFile(tmp_path / "dosed.parquet").metadata.num_row_groups == 10  # 58 rows a batch: as they come


def _significant_digits(text: str) -> str:
    """The digits of a number's text without sign, point, exponent or the zeros around them."""
    return text.lower().split("e")[0].lstrip("-").replace(".", "").strip("0")


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_both_csv_writers_write_each_float_as_its_shortest_exact_text(values):
    # the text reads back to the same double, with no more significant digits than Python's repr (the shortest)
    table = pa.table({"x": pa.array(values, pa.float64())})
    for writer_class in (dosecalc.cohort_io._csv_writer_class, lambda: None):
        fast = writer_class()
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "x.csv"
            if fast is not None:
                with fast(path, table.schema) as writer:
                    writer.write(table)
            else:
                pcsv.write_csv(table, path, dosecalc.cohort_io.CSV_WRITE_OPTIONS)
            cells = path.read_text().splitlines()[1:]
        assert [float(cell) for cell in cells] == values
        assert all(
            len(_significant_digits(cell)) <= len(_significant_digits(repr(value)))
            for cell, value in zip(cells, values)
        )


_COMMAND = """
import sys
from dosecalc.cli import app
try:
    app(["cohort", sys.argv[1], "-o", sys.argv[2], "--dose", "75mg/m2"], prog_name="dosecalc")
except SystemExit as done:
    assert done.code == 3, done.code  # examples/cohort.csv has 5 rows to reject
print(sorted(name for name in ("pandas", "dask") if name in sys.modules))
import pyarrow as pa
print(pa.default_memory_pool().backend_name, "jemalloc" in pa.supported_memory_backends())
"""


@pytest.mark.parametrize("output", ["dosed.csv", "dosed.parquet"])
def test_the_cohort_command_on_a_file_loads_neither_pandas_nor_dask(tmp_path, output, monkeypatch):
    # and on Linux its pyarrow allocates from jemalloc, which gives back what each batch freed
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    run = subprocess.run(
        [sys.executable, "-c", _COMMAND, str(EXAMPLE), str(tmp_path / output)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    loaded, (pool, has_jemalloc) = run.stdout.splitlines()[-2], run.stdout.splitlines()[-1].split()
    assert loaded == "[]"
    if sys.platform.startswith("linux") and has_jemalloc == "True":
        assert pool == "jemalloc"


@pytest.mark.parametrize(
    "first, spelling, options",
    [
        ("sep=;", "';'", []),
        ("sep=;", "';'", ["--delimiter", ";"]),  # the line is no header whichever delimiter reads it
        ("\ufeffsep=,", "','", []),  # after a byte-order mark, as Excel saves
        ("SEP=|", "'|'", []),
        ("sep=\t", "tab", []),
    ],
)
def test_a_spreadsheet_delimiter_line_is_refused_not_skipped(tmp_path, first, spelling, options):
    source = tmp_path / "in.csv"
    delimiter = {"'|'": "|", "tab": "\t"}.get(spelling, spelling.strip("'"))
    rows = [first, delimiter.join(["patient_id", "height_cm", "weight_kg"]), delimiter.join(["A", "170", "70"])]
    source.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    line = one_line_error(cli("cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2", *options))
    assert "is a spreadsheet's delimiter line, not the header; delete that line" in line
    assert f"--delimiter {spelling}" in line
    assert _no_files_but(tmp_path, "in.csv")


def test_a_delimiter_line_of_a_delimiter_not_read_names_those_read(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("sep=:\npatient_id:height_cm:weight_kg\n", encoding="utf-8")
    line = one_line_error(cli("cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2"))
    assert line.endswith("is a spreadsheet's delimiter line; dosecalc reads ',', ';', tab or '|'")


def test_a_first_column_named_like_a_delimiter_line_is_a_header(tmp_path):
    # only the whole line "sep=X" is the directive: a column "sep=a" beside others is a name
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg,sep=;\nA,170,70,x\n", encoding="utf-8")
    result = cli("cohort", str(source), "-o", str(tmp_path / "out.csv"), "--dose", "75mg/m2")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("failing", ["out.csv", "rejects.csv", "out.csv.json"])
def test_a_file_that_cannot_be_placed_leaves_every_file_of_the_run_as_it_was(tmp_path, monkeypatch, failing):
    # an earlier run's output, rejects and sidecars; the new run's rename of one of them fails (an immutable
    # file, a read-only place): the others placed before it are put back, so no file mixes two runs
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nA,170,70\nB,1.7,70\n", encoding="utf-8")
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    assert cli("cohort", str(source), "-o", str(out), "--dose", "75mg/m2", "--rejects", str(rejects)).exit_code == 3
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    replace, refused = os.replace, []

    def refusing(src, dst):  # the new file's rename, once: the undo that puts the old one back is allowed
        if os.path.basename(dst) == failing and ".part" in os.path.basename(src) and not refused:
            refused.append(dst)
            raise PermissionError(1, "Operation not permitted")
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", refusing)
    result = cli("cohort", str(source), "-o", str(out), "--dose", "60mg/m2", "--rejects", str(rejects))
    line = one_line_error(result)
    assert "cannot be written" in line or "Operation not permitted" in line
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_file_that_cannot_be_placed_leaves_no_new_file(tmp_path, monkeypatch):
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nA,170,70\nB,1.7,70\n", encoding="utf-8")
    replace = os.replace

    def refusing(src, dst):
        if os.path.basename(dst) == "out.csv" and ".part" in os.path.basename(src):
            raise PermissionError(1, "Operation not permitted")
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", refusing)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    one_line_error(cli("cohort", str(source), "-o", str(out), "--dose", "75mg/m2", "--rejects", str(rejects)))
    assert _no_files_but(tmp_path, "in.csv")


@pytest.mark.parametrize("kind", ["dose", "carboplatin"])
def test_an_h_in_one_batch_makes_the_m_of_the_others_ambiguous(tmp_path, small_batches, kind):
    # a Spanish export codes hombre/mujer as H/M: an M beside an H may be a woman. Read in batches of 3 rows, the
    # column is still one column: the M rows of later batches are rejected as the M rows of a table read whole
    rows = ["M", "H", "M", "M", "M", "M", "M"]
    source = tmp_path / "in.csv"
    source.write_text(
        "patient_id,sex,height_cm,weight_kg,age_years,creatinine_mg_dl\n"
        + "".join(f"p{i},{sex},175,90,60,1.0\n" for i, sex in enumerate(rows))
    )
    options = (
        {"dose": "75 mg/m^2", "weight_basis": "ideal"}
        if kind == "dose"
        else {"order": dosecalc.Order("carboplatin", "5 mg/mL*min")}
    )
    whole = (
        dosecalc.dose_table(pa.csv.read_csv(source), **options)
        if kind == "dose"
        else options["order"].for_table(pa.csv.read_csv(source))
    )
    assert whole[0].num_rows == 0  # every row: an M beside the H, or the H itself
    summary = convert_file(source, tmp_path / "out.csv", rejects_path=tmp_path / "r.csv", **options)
    assert (summary.rows_written, summary.rows_rejected) == (0, 7)
    # an H after an M was read as male: which were women? the run stops, and writes nothing
    source.write_text(
        "patient_id,sex,height_cm,weight_kg,age_years,creatinine_mg_dl\n"
        + "".join(f"p{i},{sex},175,90,60,1.0\n" for i, sex in enumerate(["M", "M", "M", "H"]))
    )
    with pytest.raises(DoseCalcError, match="^sex: 'H' \\(hombre\\?\\) after rows whose 'M' was read as male"):
        convert_file(source, tmp_path / "again.csv", **options)
    assert not (tmp_path / "again.csv").exists()


def test_a_float32_input_column_is_written_as_it_is_read(tmp_path):
    # a float32 175.3 is 175.3000030517578 as a double: the dosed rows wrote that, the rejects 175.3; both keep the
    # column as it is now, in CSV and in Parquet
    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"height_cm": pa.array([175.3, 1.7], pa.float32()), "weight_kg": pa.array([70.1, 60], pa.float32())}),
        source,
    )
    convert_file(source, tmp_path / "out.csv", dose="75 mg/m^2", rejects_path=tmp_path / "r.csv")
    assert (tmp_path / "out.csv").read_text().splitlines()[1].startswith("175.3,70.1,")
    assert (tmp_path / "r.csv").read_text().splitlines()[1].startswith("1.7,60.0,")
    convert_file(source, tmp_path / "out.parquet", dose="75 mg/m^2")
    assert pq.read_table(tmp_path / "out.parquet").schema.field("height_cm").type == pa.float32()


@pytest.mark.parametrize(
    "text",
    [
        'patient_id,height_cm,weight_kg,notes\nA,170,70,"a\nb' + "x" * 600_000 + '"\n',  # a quoted cell of 600 KB
        ",".join(f"c{number}" for number in range(50_000)) + "\n",  # a header of 340 KB
    ],
)
def test_a_row_longer_than_a_block_is_one_line_naming_the_limit(tmp_path, text):
    # pyarrow said "straddling object straddles two block boundaries (try to increase block size?)", or that
    # the file was empty: no option of dosecalc's increases a block, and the file was not empty
    (tmp_path / "in.csv").write_text(text, encoding="utf-8")
    line = one_line_error(cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line == (
        f"error: input={tmp_path / 'in.csv'}: a row or the header is longer than 256 KiB, the most a row is read in; "
        "no patient's row is so long: is the file a CSV of one row per patient?"
    )
    assert _no_files_but(tmp_path, "in.csv")


@pytest.mark.parametrize(
    "names, said",
    [
        (["patient_id", "height_cm", "weight_kg", ""], "column 4 has no name; name it, or delete the column"),
        (
            ["patient_id", "height_cm", "weight_kg", " ", "column_3"],
            "column 4 has no name; name it, or delete the column",
        ),
        (["patient_id", "height_cm", "weight_kg", "height_cm"], "column 'height_cm' is named twice; keep one"),
    ],
)
def test_a_parquet_column_without_a_name_or_named_twice_is_refused(tmp_path, names, said):
    # a CSV's unnamed column holding data is refused; a Parquet one was written as "column_3" (or crashed the
    # writer beside a column of that name)
    arrays = [pa.array(["A"]), pa.array([170.0]), pa.array([70.0])] + [pa.array([5.0])] * (len(names) - 3)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), tmp_path / "in.parquet")
    line = one_line_error(
        cli("cohort", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2")
    )
    assert line == f"error: input={tmp_path / 'in.parquet'}: {said}"
    assert _no_files_but(tmp_path, "in.parquet")


def test_a_workbooks_first_sheet_without_patients_says_that_sheet_was_read(tmp_path):
    # a workbook's "Readme" first: "a weight column is required" did not say which sheet was read, nor --sheet
    pytest.importorskip("python_calamine")
    book = write_xlsx(
        tmp_path / "clinic.xlsx",
        {
            "Readme": [["exported by the pharmacy"]],
            "Patients": [["patient_id", "height_cm", "weight_kg"], ["A", 170, 70]],
        },
    )
    line = one_line_error(cli("cohort", str(book), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line.startswith(f"error: input={book}: its first sheet was read: ")
    assert line.endswith("; --sheet names another")
    assert convert_file(book, tmp_path / "o.csv", dose="75 mg/m^2", sheet="Patients").rows_written == 1


def test_a_parquet_column_of_lists_read_as_an_input_is_refused_in_one_line(tmp_path):
    # a list-typed sex gave pyarrow's "Unsupported cast from list<element: string> to utf8" and exit 1 (a list
    # column the run does not read passes through to Parquet, above)
    table = pa.table({"patient_id": ["A"], "height_cm": [170.0], "weight_kg": [70.0], "sex": [["f"]]})
    pq.write_table(table, tmp_path / "in.parquet")
    result = cli(
        "cohort",
        str(tmp_path / "in.parquet"),
        "-o",
        str(tmp_path / "o.parquet"),
        "--dose",
        "75mg/m2",
        "--weight-basis",
        "ideal",
    )
    assert one_line_error(result) == "error: sex: the column holds list<element: string>; expected one sex a cell"
    orders = pa.table(
        {
            "patient_id": ["A"],
            "drug": [["doxorubicin"]],
            "ordered_mg": [92.0],
            "height_cm": [175.0],
            "weight_kg": [70.0],
        }
    )
    pq.write_table(orders, tmp_path / "orders.parquet")
    result = CliRunner().invoke(
        app, ["verify", "r-chop-21", "--orders", str(tmp_path / "orders.parquet"), "-o", str(tmp_path / "v.csv")]
    )
    assert one_line_error(result) == (
        "error: orders: column 'drug' holds list<element: string>; expected one value a cell"
    )


def test_a_blank_csv_line_and_an_empty_sheet_row_are_no_rows_alike(tmp_path):
    # a CSV reader skips a blank line; an empty sheet row was a rejected row instead, so the two numbered the
    # same patients differently
    pytest.importorskip("python_calamine")
    (tmp_path / "in.csv").write_text("patient_id,height_cm,weight_kg\nA,170,70\n\nB,170,70\n", encoding="utf-8")
    book = write_xlsx(
        tmp_path / "in.xlsx",
        {"Patients": [["patient_id", "height_cm", "weight_kg"], ["A", 170, 70], [], ["B", 170, 70]]},
    )
    for source, output in ((tmp_path / "in.csv", "a.csv"), (book, "b.csv")):
        summary = convert_file(source, tmp_path / output, dose="75 mg/m^2")
        assert (summary.rows_read, summary.rows_rejected) == (2, 0)
        assert [row["row"] for row in read_csv(tmp_path / output)] == ["1", "2"]
