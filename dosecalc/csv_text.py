"""
The CSV text of a few rows, byte for byte as polars writes it, without loading polars.

A cohort's CSV is written by polars (``write_csv``, ``quote_style="necessary"``), which formats floats about
twice as fast as pyarrow. Importing polars costs a run about 85 ms, most of the start-up of a file of a few
dozen rows; such a file is formatted here instead, in the same text:

- a float as the shortest text that reads back to the same double (Python's ``repr``), with a decimal point
  from 1e-5 up to 1e16 (``75.0``, ``0.00001``) and an exponent without padding or ``+`` below it (``1e-7``),
  with ``+`` from 1e16 (``1e+16``); ``NaN``, ``inf``, ``-inf``;
- a whole number as digits, a boolean as ``true``/``false``, a null as nothing;
- a text as it is, quoted (with ``""`` for ``"``) where it holds the separator, a quote or a line break, and
  ``""`` for an empty text; the header likewise.

Only tables whose columns all have such types (:func:`formattable`) are formatted here; tests compare the
text with polars' own over generated tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from .frames import is_text

__all__ = ["csv_text", "float_text", "formattable"]


def float_text(value: float) -> str:
    """
    A float as polars writes it in a CSV.

    Examples
    --------
    >>> [float_text(v) for v in (75.0, 1e-05, 1e-07, 1e16, float("nan"))]
    ['75.0', '0.00001', '1e-7', '1e+16', 'NaN']
    """
    if value != value:
        return "NaN"
    shortest = repr(value)  # "inf", "-inf", "75.0", "1e-07", "1e+16"
    mantissa, exponent_mark, exponent = shortest.partition("e")
    if not exponent_mark or exponent[0] == "+":
        return shortest
    power = int(exponent)
    if power == -5:  # written out: "0.00001", "-0.000012345"
        sign, digits = ("-", mantissa[1:]) if mantissa[0] == "-" else ("", mantissa)
        return f"{sign}0.0000{digits.replace('.', '')}"
    return f"{mantissa}e{power}"


def _formattable_type(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return is_text(kind.value_type)
    return (
        is_text(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_float64(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
    )


def formattable(schema: pa.Schema) -> bool:
    """Whether :func:`csv_text` writes a table of this schema as polars would: columns of text, whole numbers,
    doubles, booleans or nulls, each named, no name twice (polars renames or refuses those)."""
    names = schema.names
    return all(names) and len(set(names)) == len(names) and all(_formattable_type(item.type) for item in schema)


def _quoted(delimiter: str):
    special = (delimiter, '"', "\n", "\r")

    def quoted(text: str) -> str:
        if text == "" or any(mark in text for mark in special):
            return '"' + text.replace('"', '""') + '"'
        return text

    return quoted


def _cells(column: pa.ChunkedArray, quoted) -> list[str]:
    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    shown: Callable[[Any], str]
    if pa.types.is_floating(kind):
        shown = float_text
    elif pa.types.is_boolean(kind):
        shown = {True: "true", False: "false"}.__getitem__
    elif pa.types.is_integer(kind):
        shown = str
    else:
        shown = quoted
    return ["" if value is None else shown(value) for value in column.to_pylist()]


def csv_text(table: pa.Table, delimiter: str = ",") -> str:
    """
    The CSV of a table of a :func:`formattable` schema, as polars' ``write_csv`` with
    ``quote_style="necessary"`` writes it: a header line, then a line per row, each ending in ``\\n``.

    Examples
    --------
    >>> print(csv_text(pa.table({"id": ["a,1", ""], "dose_mg": [75.0, None]})), end="")
    id,dose_mg
    "a,1",75.0
    "",
    """
    quoted = _quoted(delimiter)
    lines = [delimiter.join(map(quoted, table.column_names))]
    columns = [_cells(table[name], quoted) for name in table.column_names]
    lines.extend(delimiter.join(row) for row in zip(*columns))
    return "".join(line + "\n" for line in lines)
