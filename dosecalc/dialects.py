"""
How a hospital's export is written: CSV dialects, spreadsheets, file formats.

A :class:`CsvDialect` names the delimiter, the decimal mark and the text
encoding of a CSV file, each from a closed list: an export is read as it is
written or refused with a hint, never guessed at. :func:`file_format` tells
from a name how dosecalc reads or writes a file; :func:`read_sheet` reads a
sheet of a spreadsheet with python-calamine, an optional extra.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa

from .errors import DoseCalcError, UnguessedNameError, UnknownNameError
from .validation import checked_flag

__all__ = [
    "CsvDialect",
    "DELIMITERS",
    "delimiter_line",
    "ENCODINGS",
    "FORMATS",
    "file_format",
    "read_sheet",
    "separator_hint",
    "not_text",
    "undecodable_line",
    "unnamed_column",
    "written_path",
]

#: The delimiters a CSV may use, by their spellings on a command line.
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "|": "|"}
#: The text encodings read, by their spellings: UTF-8 (the default), latin-1 and Windows cp1252.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
}
#: File formats by name ending: how each is read and written.
FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "sheet",
    ".xlsm": "sheet",
    ".xls": "sheet",
    ".ods": "sheet",
}
#: The formats dosecalc writes.
WRITTEN = ("csv", "tsv", "parquet")
_SHEET_EXTRA = "python-calamine (pip install 'dosecalc[xlsx]')"


@dataclass(frozen=True)
class CsvDialect:
    """
    How a CSV file is written: its delimiter, decimal mark and encoding.

    Parameters
    ----------
    delimiter : str, default ","
        One of :data:`DELIMITERS`: ``","``, ``";"``, ``"tab"`` (or a tab) or ``"|"``.
    decimal_comma : bool, default False
        Numbers are written ``1,75``; a number holding a "." is then refused.
    encoding : str, default "utf-8"
        One of :data:`ENCODINGS`: UTF-8, latin-1 or cp1252.

    Raises
    ------
    UnknownNameError
        If the delimiter or the encoding is not one of those.
    """

    delimiter: str = ","
    decimal_comma: bool = False
    encoding: str = "utf-8"

    def __post_init__(self):
        if self.delimiter not in DELIMITERS:
            raise UnknownNameError("delimiter", self.delimiter, ["','", "';'", "tab", "'|'"])
        if str(self.encoding).lower() not in ENCODINGS:
            raise UnguessedNameError("encoding", self.encoding, list(dict.fromkeys(ENCODINGS.values())))
        object.__setattr__(self, "delimiter", DELIMITERS[self.delimiter])
        object.__setattr__(self, "encoding", ENCODINGS[str(self.encoding).lower()])
        object.__setattr__(self, "decimal_comma", checked_flag(self.decimal_comma, "decimal_comma"))

    def to_dict(self) -> dict:
        """Plain data for JSON and provenance."""
        return asdict(self)


def file_format(path, role: str) -> str:
    """
    How dosecalc reads (``role="input"``) or writes (``"output"``,
    ``"rejects"``) ``path``: ``"csv"``, ``"tsv"``, ``"parquet"`` or
    ``"sheet"``; ``"-"`` is CSV on stdin or stdout.

    Raises
    ------
    DoseCalcError
        For an output whose ending dosecalc cannot write (``.xlsx``,
        ``.json``): it is refused, not written as CSV under that name.
    """
    name = Path(path).name
    kind = "csv" if str(path) == "-" else FORMATS.get(Path(name).suffix.lower(), None)
    if role == "input":
        return kind or "csv"
    if kind not in WRITTEN and Path(name).suffix:
        endings = ", ".join(ending for ending, written in FORMATS.items() if written in WRITTEN)
        raise DoseCalcError(
            f"{role}={path}: dosecalc cannot write {Path(name).suffix} files; name it with one of {endings}"
        )
    return kind or "csv"


def written_path(role: str, path, inputs=()) -> Path:
    """
    The file a run writes as ``role`` at ``path``, checked before the run: a
    symbolic link's target (the link is kept; the file it names is
    replaced). ``inputs`` are the files the run reads.

    Raises
    ------
    DoseCalcError
        Where ``path`` is a directory, is in none, exists but is no regular
        file (a device such as /dev/null, a named pipe, a socket: a file
        renamed over it would replace it), or is one of ``inputs`` (also by
        another name or a link).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise DoseCalcError(f"{role}={path}: no such directory {path.parent}")
    if path.is_dir():
        raise DoseCalcError(f"{role}={path}: is a directory; expected a file name")
    if path.exists() and not path.is_file():
        raise DoseCalcError(
            f"{role}={path}: is not a regular file (a device, a pipe or a socket); "
            "name a file, or - to write the output to stdout"
        )
    target = Path(os.path.realpath(path))
    for given in inputs:
        if target == Path(os.path.realpath(given)) or (target.exists() and target.samefile(given)):
            raise DoseCalcError(f"{role}={path}: is the input file {given}; write to another file")
    return target


def separator_hint(names: list[str], delimiter: str) -> str | None:
    """
    A hint when a header read with ``delimiter`` is one column that holds
    another delimiter: ``"patient_id;height_cm;weight_kg"`` read with commas.
    """
    if len(names) != 1:
        return None
    for spelling, other in (("';'", ";"), ("tab", "\t"), ("'|'", "|"), ("','", ",")):
        if other != delimiter and other in names[0]:
            return (
                f"its header is one column, {names[0]!r}, which looks {spelling}-separated; "
                f"read it with --delimiter {spelling} (delimiter= in Python)"
            )
    return None


def delimiter_line(header: str) -> str | None:
    """
    A hint when a CSV file's first line is a spreadsheet's delimiter line
    (``sep=;``, which Excel writes and reads), not its header: the line is
    refused, never skipped, so the rows are read as the file is written.
    """
    if not (header[:4].lower() == "sep=" and len(header) == 5):
        return None
    spelling = "tab" if header[4] == "\t" else repr(header[4])
    if header[4] not in DELIMITERS.values():
        return f"its first line, {header!r}, is a spreadsheet's delimiter line; dosecalc reads ',', ';', tab or '|'"
    return (
        f"its first line, {header!r}, is a spreadsheet's delimiter line, not the header; delete that line "
        f"and read the file with --delimiter {spelling} (delimiter= in Python)"
    )


#: The first bytes of files that are no CSV text, and what each is.
_MAGIC = {
    b"\x1f\x8b": "gzip-compressed; decompress it first (gunzip)",
    b"PK\x03\x04": "a zip archive (a workbook?); name a workbook .xlsx, or decompress an archive first",
    b"PAR1": "a Parquet file; name it .parquet",
    b"\xff\xfe": "UTF-16 text; save it as UTF-8 (or latin-1/cp1252) CSV",
    b"\xfe\xff": "UTF-16 text; save it as UTF-8 (or latin-1/cp1252) CSV",
    b"\xd0\xcf\x11\xe0": "an old Office file; save it as .xlsx or CSV",
}


def not_text(path: Path) -> str | None:
    """
    What ``path`` is where its first bytes show it is no CSV text (compressed, an archive, Parquet,
    UTF-16, or binary with NUL bytes), else None: such a file is refused, never parsed as CSV.
    """
    with path.open("rb") as file:
        start = file.read(4096)
    for magic, kind in _MAGIC.items():
        if start.startswith(magic):
            return kind
    if b"\0" in start:
        return "binary data (it holds NUL bytes), not CSV text"
    return None


def undecodable_line(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """The first line (1-based, the header is line 1) of ``path`` that ``encoding`` cannot decode, and its bytes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number, line.rstrip(b"\r\n")
    return None


def unnamed_column(path, number: int, value) -> DoseCalcError:
    """
    The error of a column that has no name in the header but holds ``value``: refused, never dropped
    unseen nor written under a name dosecalc would have to invent. ``number`` counts from 1.
    """
    return DoseCalcError(
        f"input={path}: column {number} has no name in the header but holds {value!r}; name it, or delete the column"
    )


def _cell_text(value) -> str | None:
    # a cell as a CSV would hold it: numbers as the shortest text that reads back to them, empty as missing
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value)) if abs(value) < 2**53 else repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_sheet(path: Path, sheet: str | None = None) -> pa.Table:
    """
    One sheet of a spreadsheet (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) as a table of text, as a CSV is read.

    The first row is the header; every cell becomes text (a number as the
    shortest text that reads back to it), so the engine, not the reader,
    decides which cells are numbers. Columns without a name and without a
    value are dropped; one without a name that holds a value is refused, as
    in a CSV file.

    Raises
    ------
    DoseCalcError
        If python-calamine is not installed (the ``xlsx`` extra), the
        sheet does not exist, has no header row, or has a column without
        a name that holds a value.
    """
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        raise DoseCalcError(f"input={path}: reading a spreadsheet needs {_SHEET_EXTRA}") from None
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine's own errors: not a workbook, a corrupt file
        raise _unreadable(path, err) from None
    names = workbook.sheet_names
    if sheet is None:
        sheet = names[0] if names else None
    if sheet not in names:
        raise UnknownNameError("sheet", sheet, names)
    try:
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as err:  # a sheet the workbook lists, missing or corrupt in it
        raise _unreadable(path, err) from None
    if not rows:
        raise DoseCalcError(f"input={path}: sheet {sheet!r} is empty; expected a header row")
    header = [_cell_text(value) or "" for value in rows[0]]
    columns = [[_cell_text(value) for value in row] for row in rows[1:]]
    return _text_table(header, columns, path)


def _unreadable(path, err: Exception) -> DoseCalcError:
    return DoseCalcError(f"input={path}: not a readable spreadsheet ({type(err).__name__}: {str(err).splitlines()[0]})")


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _text_table(header: list[str], rows: list[list], path) -> pa.Table:
    """The columns of ``rows`` named by ``header``; a column without a name is dropped if empty, else refused."""
    names, arrays = [], []
    for number, name in enumerate(header, start=1):
        values = [row[number - 1] if number <= len(row) else None for row in rows]
        if not _blank(name):
            names.append(name)
            arrays.append(pa.array(values, pa.string()))
            continue
        held = next((value for value in values if not _blank(value)), None)
        if held is not None:
            raise unnamed_column(path, number, held)
    return pa.Table.from_arrays(arrays, names=names)
