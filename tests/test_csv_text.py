"""The CSV text of a few rows (dosecalc.csv_text) is polars' own, byte for byte, over generated tables."""

import io
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc.csv_text import csv_text, float_text, formattable

pl = pytest.importorskip("polars")


def polars_csv(table: pa.Table, delimiter: str = ",") -> str:
    out = io.BytesIO()
    pl.from_arrow(table, rechunk=False).write_csv(out, separator=delimiter, quote_style="necessary")
    return out.getvalue().decode()


# doubles of every size, the edges where the notation changes, and the specials
doubles = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1e-5, 9.999999999999999e-06, 1e-4, 1e16, 9999999999999998.0, -1e-5, -0.0, 5e-324, 1.7976931348623157e308]
)
texts = st.text(st.characters(codec="utf-8") | st.sampled_from([",", "\t", '"', "\n", "\r", " "]), max_size=8)
COLUMNS = {
    "float64": (pa.float64(), doubles),
    "int64": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "uint64": (pa.uint64(), st.integers(0, 2**64 - 1)),
    "int8": (pa.int8(), st.integers(-128, 127)),
    "bool": (pa.bool_(), st.booleans()),
    "string": (pa.string(), texts),
    "large_string": (pa.large_string(), texts),
    "dictionary": (pa.dictionary(pa.int32(), pa.string()), st.sampled_from(["mosteller", "du bois", "a,b", ""])),
}


@st.composite
def tables(draw):
    n = draw(st.integers(0, 6))
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMNS)), min_size=1, max_size=5))
    names = draw(st.lists(texts.filter(bool), min_size=len(kinds), max_size=len(kinds), unique=True))
    columns = {}
    for name, kind in zip(names, kinds):
        arrow_type, values = COLUMNS[kind]
        cells = draw(st.lists(st.none() | values, min_size=n, max_size=n))
        if pa.types.is_dictionary(arrow_type):
            columns[name] = pa.array(cells, pa.string()).dictionary_encode()
        else:
            columns[name] = pa.array(cells, arrow_type)
    return pa.table(columns)


@given(tables(), st.sampled_from([",", "\t"]))
def test_the_text_is_polars_own(table, delimiter):
    assert formattable(table.schema)
    assert csv_text(table, delimiter) == polars_csv(table, delimiter)


@given(doubles)
def test_a_float_is_written_as_polars_writes_it_and_reads_back_the_same(value):
    assert float_text(value) == polars_csv(pa.table({"x": [value]})).split("\n")[1]
    assert math.isnan(value) or float(float_text(value)) == value


def test_the_notation_by_hand():
    # a decimal point from 1e-5 to below 1e16, an exponent outside it; integral doubles keep ".0"
    assert [float_text(v) for v in (75.0, 0.1, 1e-5, 1.2345e-5, -1e-5, 1e-6, 1e-7, 1e15, 1e16, 1e300)] == [
        "75.0",
        "0.1",
        "0.00001",
        "0.000012345",
        "-0.00001",
        "1e-6",
        "1e-7",
        "1000000000000000.0",
        "1e+16",
        "1e+300",
    ]
    assert [float_text(v) for v in (math.nan, math.inf, -math.inf, -0.0)] == ["NaN", "inf", "-inf", "-0.0"]


def test_what_polars_writes_otherwise_is_left_to_polars():
    # float32 (its own shortest text), dates, decimals, lists; an unnamed or repeated column (polars renames)
    assert not formattable(pa.schema({"x": pa.float32()}))
    assert not formattable(pa.schema({"x": pa.date32()}))
    assert not formattable(pa.schema({"x": pa.decimal128(5, 2)}))
    assert not formattable(pa.schema({"x": pa.list_(pa.int64())}))
    assert not formattable(pa.schema({"": pa.int64()}))
    assert not formattable(pa.schema([("x", pa.int64()), ("x", pa.int64())]))


def test_the_cohort_writer_writes_the_same_file_with_polars_and_without(tmp_path, monkeypatch):
    # the 36-row sample dosed, and 5,000 rows of it, written by polars (FEW_ROWS 0), by csv_text (all held), and
    # held until FEW_ROWS is passed mid-run: one file, byte for byte
    import dosecalc.cohort_io as cohort_io
    from dosecalc import dose_table

    sample = Path(__file__).resolve().parents[1] / "examples" / "cohort.csv"
    dosed = dose_table(
        pa.csv.read_csv(sample, convert_options=pa.csv.ConvertOptions(strings_can_be_null=True)), "75 mg/m^2"
    ).dosed
    many = pa.concat_tables([dosed] * (5000 // dosed.num_rows + 1))
    for table in (dosed, many):
        texts = []
        for few in (0, 10**9, 1000):
            monkeypatch.setattr(cohort_io, "FEW_ROWS", few)
            path = tmp_path / f"{few}.csv"
            with cohort_io.PolarsCsvWriter(path, table.schema) as writer:
                for start in range(0, table.num_rows, 700):
                    writer.write(table.slice(start, 700))
            texts.append(path.read_bytes())
        assert texts[0] == texts[1] == texts[2] == polars_csv(table).encode()
    # no rows: the header alone, as polars writes it
    empty = dosed.slice(0, 0)
    with cohort_io.PolarsCsvWriter(tmp_path / "empty.csv", empty.schema):
        pass
    assert (tmp_path / "empty.csv").read_text() == polars_csv(empty) == ",".join(empty.column_names) + "\n"
