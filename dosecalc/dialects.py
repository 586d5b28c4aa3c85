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
import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.etree import ElementTree

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


def _cell_text(value, decimal_comma: bool = False) -> str | None:
    # a cell as a CSV would hold it: numbers as the shortest text that reads back to them (with a decimal comma
    # where the file's text cells are written so: a number cell is a number, 175.5, whatever its text cells), empty
    # as missing
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value)) if abs(value) < 2**53 else repr(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",") if decimal_comma else repr(value)
    if isinstance(value, int):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_sheet(path: Path, sheet: str | None = None, decimal_comma: bool = False) -> pa.Table:
    """
    One sheet of a spreadsheet (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) as a table of text, as a CSV is read.

    The first row that holds a value is the header; every cell becomes text
    (a number as the shortest text that reads back to it), so the engine, not
    the reader, decides which cells are numbers. A cell holding an error
    value is its text, ``#N/A``, as a CSV export writes it (python-calamine
    reads it as empty, and an empty prior exposure is none). Columns without
    a name and without a value are dropped; one without a name that holds a
    value is refused, as in a CSV file.

    Raises
    ------
    DoseCalcError
        If python-calamine is not installed (the ``xlsx`` extra), the
        sheet does not exist, has no header row, or has a column without
        a name that holds a value; an ``.xls`` workbook, and an ``.ods``
        file holding an error value, whose error cells cannot be told from
        empty ones.
    """
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        raise DoseCalcError(f"input={path}: reading a spreadsheet needs {_SHEET_EXTRA}") from None
    if Path(path).suffix.lower() == ".xls":  # calamine reads its error cells (#N/A) as empty, and none can be seen
        raise DoseCalcError(
            f"input={path}: an .xls workbook's error cells (#N/A) would be read as empty ones; save it as .xlsx or CSV"
        )
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
    for (row, column), error in _error_cells(path, names.index(sheet)).items():
        if row < len(rows) and column < len(rows[row]):
            rows[row][column] = error  # "#N/A" as a CSV export holds it, refused by the grammar: never empty
    # a sheet written from C3 is read from A1 (calamine): the empty rows above its header are no rows of it
    first = next((number for number, row in enumerate(rows) if any(not _blank(_cell_text(value)) for value in row)), 0)
    header = [_cell_text(value) or "" for value in rows[first]]
    # a row of empty cells is no row, as a CSV reader skips a blank line: the two formats number rows alike
    cells = ([_cell_text(value, decimal_comma) for value in row] for row in rows[first + 1 :])
    columns = [row for row in cells if any(text is not None for text in row)]
    return _text_table(header, columns, path)


_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c|v|sheetData)\b([^>]*?)(/?)>")
_ATTRIBUTE = re.compile(rb"""\b(r|t)\s*=\s*["']([^"']*)["']""")
_REFERENCE = re.compile(r"([A-Z]+)([0-9]+)")


def _error_cells(path: Path, index: int) -> dict[tuple[int, int], str]:
    """
    The cells of the ``index``-th sheet of an ``.xlsx`` or ``.xlsm`` workbook that hold an error value
    (``#N/A``, ``#DIV/0!``), by row and column from A1 (0-based), as python-calamine reads a sheet: it reads
    them as empty cells, and an empty prior exposure or baseline weight is none, not a cell to correct.
    An ``.ods`` file that holds one is refused (:func:`_refuse_ods_errors`).
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        _refuse_ods_errors(path)
        return {}
    try:
        with zipfile.ZipFile(path) as book:
            target = _sheet_part(book, index)
            data = book.read(target) if target is not None else b""
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):  # as calamine read it: no sheet part
        return {}
    if not re.search(rb"""\bt\s*=\s*["']e["']""", data):  # most sheets: one scan, no cell walked
        return {}
    errors, row, column, error_at = {}, -1, -1, None
    for tag in _TAG.finditer(data):
        closing, name, attributes, _ = tag.groups()
        if closing:
            continue
        found = dict(_ATTRIBUTE.findall(attributes))
        if name == b"row":
            row = int(found[b"r"]) - 1 if b"r" in found else row + 1
            column = -1
        elif name == b"c":
            reference = _REFERENCE.fullmatch(found.get(b"r", b"").decode("ascii", "replace"))
            column = _column_index(reference[1]) if reference else column + 1
            if reference:
                row = int(reference[2]) - 1
            error_at = (row, column) if found.get(b"t") == b"e" else None
        elif name == b"v" and error_at is not None:
            end = data.find(b"<", tag.end())
            errors[error_at] = data[tag.end() : end].decode("utf-8", "replace") or "#ERROR"
            error_at = None
    return errors


def _column_index(letters: str) -> int:
    """A column's letters as a 0-based index: A is 0, Z 25, AA 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _sheet_part(book: zipfile.ZipFile, index: int) -> str | None:
    """The zip member of a workbook's ``index``-th sheet, by its workbook relationships."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    sheets = ElementTree.fromstring(book.read("xl/workbook.xml")).iter(f"{main}sheet")
    wanted = next((sheet.get(relation) for number, sheet in enumerate(sheets) if number == index), None)
    links = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next((link.get("Target") for link in links if link.get("Id") == wanted), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


_ODS_ERROR = b'value-type="error"'


def _refuse_ods_errors(path: Path) -> None:
    """Refuse an ``.ods`` file that holds a cell with an error value (LibreOffice marks it
    ``calcext:value-type="error"``), which python-calamine would read as an empty cell: its cells cannot be
    placed without a reader of their own (repeated rows and columns)."""
    try:
        with zipfile.ZipFile(path) as book:
            with book.open("content.xml") as content:
                held, tail = False, b""
                for chunk in iter(lambda: content.read(1 << 20), b""):
                    held, tail = held or _ODS_ERROR in tail + chunk, chunk[-len(_ODS_ERROR) :]
    except (OSError, KeyError, zipfile.BadZipFile):
        return  # as calamine reads it (or refuses it)
    if held:
        raise DoseCalcError(
            f"input={path}: holds cells with an error value (#N/A), which would be read as empty ones; "
            "correct or clear them, or save it as .xlsx or CSV"
        )


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
