"""
A file that is no CSV text (compressed, an archive, Parquet, UTF-16, binary) is refused by what it
is, never parsed as CSV: a gzip file whose first block has no line break was read as zero patients.
"""

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_cohort_files import cli, one_line_error

CSV = "patient_id,height_cm,weight_kg\nFran\xe7ois,170,70\nZo\xeb,160,60\n"


def _gzip(path):
    path.write_bytes(gzip.compress(CSV.encode("latin-1")))


def _parquet(path):
    pq.write_table(pa.table({"height_cm": [170.0], "weight_kg": [70.0]}), path)


def _utf16(path):
    path.write_bytes(CSV.encode("utf-16"))


def _nul(path):
    path.write_bytes(b"height_cm,weight_kg\n170,7\x000\n")


@pytest.mark.parametrize(
    "name, make, said",
    [
        ("in.csv.gz", _gzip, "is gzip-compressed; decompress it first (gunzip)"),
        ("in.csv", _parquet, "is a Parquet file; name it .parquet"),
        ("in.csv", _utf16, "is UTF-16 text; save it as UTF-8 (or latin-1/cp1252) CSV"),
        ("in.txt", _nul, "is binary data (it holds NUL bytes), not CSV text"),
    ],
)
def test_a_file_that_is_no_csv_text_is_refused_by_what_it_is(tmp_path, name, make, said):
    make(tmp_path / name)
    line = one_line_error(cli("cohort", str(tmp_path / name), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line == f"error: input={tmp_path / name}: {said}"
    assert not (tmp_path / "o.csv").exists()


def test_a_parsers_excerpt_shows_control_characters_escaped(tmp_path):
    (tmp_path / "in.csv").write_bytes(b"height_cm,weight_kg\n170,70,\x01x\n")
    line = one_line_error(cli("cohort", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"))
    assert line.endswith("Expected 2 columns, got 3: 170,70,\\x01x") and "\x01" not in line
