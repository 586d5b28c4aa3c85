"""
Cohort files and datasets: stream CSV or Parquet files of patients through the engine.

:func:`convert_file` reads the input batch by batch (pyarrow's streaming CSV
reader, or Parquet row batches), doses each batch with
:func:`dosecalc.cohort.dose_batch` (or an :class:`~dosecalc.Order`'s or a
:class:`~dosecalc.Protocol`'s ``for_table``) and appends the dosed rows to
the output and the rejected rows to the rejects file, so memory stays
bounded whatever the file's size. Every batch's rows are counted: each is
written or rejected, else the run stops. Each file is written under a temporary name beside it and
renamed into place only when complete: a failed or interrupted run leaves
nothing under the output's name. The output for stdout is written to a temporary file too, and copied
there when complete: a failed run writes nothing on stdout.

:func:`convert_dataset` does the same for a directory or glob of files, and
writes a Parquet dataset (one file per piece of input, readable with
:func:`pyarrow.dataset.dataset`) into a temporary directory renamed into place
when every piece is done. A piece is a CSV file or a run of a Parquet file's
row groups; the pieces are converted one after another in this process, or
side by side on a Dask cluster (:func:`dosecalc.dask.convert_dataset`, which
passes its ``runner``), by the same function, so both drivers write the same
files.

The layers import downwards only: the engine (:mod:`dosecalc.cohort`), these
drivers, then Dask (:mod:`dosecalc.dask`).

A CSV is read with every column as text: ids pass through as typed ("007"
stays "007") and the engine, not the parser, decides which cells are numbers,
so a stray word in a numeric column rejects its row instead of stopping the run.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime
import glob
import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

if TYPE_CHECKING:
    import polars

from .cohort import DosedTable, SexCodes, dose_batch, numbered, streamed_sex_codes
from .csv_text import csv_text, formattable
from .dialects import (
    ENCODINGS,
    CsvDialect,
    delimiter_line,
    file_format,
    not_text,
    read_sheet,
    separator_hint,
    undecodable_line,
    unnamed_column,
    written_path,
)
from .errors import DoseCalcError, MissingInputError, UsageError
from .frames import as_table
from .provenance import (
    METADATA_KEY,
    Digest,
    formulas_of,
    order_formulas,
    protocol_record,
    reasons_by_class,
    run_record,
    top_reasons,
)

__all__ = [
    "convert_file",
    "convert_dataset",
    "run_pieces",
    "read_file",
    "written_file",
    "stdout_write_error",
    "remove_stale",
    "Reading",
    "CohortSummary",
    "pyarrow_without_pandas",
]

#: Bytes of CSV read at a time (pyarrow reads up to 32 blocks ahead); rows
#: read at a time from a Parquet file, and dosed at a time from either (a
#: CSV's blocks gathered into them; a protocol's patients of as many rows of
#: schedule). They bound the memory a run takes: 2**15 rows kept the peak of
#: 3e6 rows within 1.1x that of 1e5, where 2**16 took 1.13-1.15x, and the
#: engine took 30% less CPU on a CSV than on its blocks of ~14,000 rows.
BLOCK_BYTES = 1 << 18
BATCH_ROWS = 1 << 15
#: Rows written at a time, gathered from the batches. A CSV write of 2**16 rows is formatted by polars on
#: both cores where one of 2**15 is formatted on one (3e6 rows: 1.10 against 1.46 s), at a higher peak
#: (3e6 rows against 1e5: 1.19x, 1.14x writing 2**14 at a time; 2**17 took 1.31x and was no faster).
WRITE_ROWS = 1 << 16
#: Rows of CSV formatted without polars (:class:`PolarsCsvWriter`): 4,096 rows of a dosed table take ~30 ms,
#: a third of polars' import.
FEW_ROWS = 1 << 12
#: Rows of a Parquet row group written (a few rejects a batch gathered into one): larger groups made no run
#: faster and cost memory in flight.
PARQUET_GROUP_ROWS = 1 << 14
#: Rows of a Parquet file per piece of a dataset (a piece holds at least one
#: row group); a CSV file is one piece. A piece is one task for Dask.
PIECE_ROWS = 1 << 20
#: The file in a dataset's output folder holding the run's provenance.
PROVENANCE_FILE = "_provenance.json"
#: The column of a dataset's rejects that names each row's input file.
FILE_COLUMN = "file"
_PARQUET = (".parquet", ".pq")
_DATASET_SUFFIXES = (".csv", ".tsv", *_PARQUET)
#: How dosecalc writes CSV: 65536 rows formatted at a time (pyarrow's default, 1024, is slower).
CSV_WRITE_OPTIONS = pcsv.WriteOptions(batch_size=1 << 16)


@dataclass(frozen=True)
class CohortSummary:
    """
    What a :func:`convert_file` or :func:`convert_dataset` run did:
    ``rows_read == rows_written + rows_rejected``.

    Attributes
    ----------
    rows_read, rows_written, rows_rejected : int
        Data rows (patients) in the input, dosed, rejected: a row is
        written or rejected whole. For a protocol, a patient is scheduled
        for every drug or rejected (for all).
    seconds : float
        Wall time of the run. [s]
    output : str
        The output file (or dataset directory).
    rejects : str or None
        The rejects file (or dataset directory), if one was asked for.
    rejects_by_reason : dict
        The rejected rows counted by class of reason
        (:func:`dosecalc.provenance.reason_class`), most common first:
        ``{"weight_lb is missing": 3}``.
    provenance : dict
        The run's record, as written beside the output
        (:func:`dosecalc.provenance.run_record`).
    output_rows, rejects_rows : int
        Rows in the output and in the rejects: ``rows_written`` and
        ``rows_rejected``, but for a protocol's schedule (a row per patient,
        drug and administration) and its rejects (a row per patient and drug).
    """

    rows_read: int
    rows_written: int
    rows_rejected: int
    seconds: float
    output: str
    rejects: str | None
    rejects_by_reason: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    output_rows: int = 0
    rejects_rows: int = 0

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class Counts:
    """
    Rows (patients) read, written and rejected by a part of a run, the rows in its output and rejects,
    and the rejects by class of reason; they add up.
    """

    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    reasons: dict = field(default_factory=dict)
    output_rows: int = 0
    rejects_rows: int = 0
    sex_codes: SexCodes = field(default_factory=SexCodes)  # what its sex column read: an H, an M as male

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.rows_read + other.rows_read,
            self.rows_written + other.rows_written,
            self.rows_rejected + other.rows_rejected,
            dict(Counter(self.reasons) + Counter(other.reasons)),
            self.output_rows + other.output_rows,
            self.rejects_rows + other.rejects_rows,
            self.sex_codes | other.sex_codes,
        )

    @property
    def rows(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_rejected": self.rows_rejected,
            "output_rows": self.output_rows,
            "rejects_rows": self.rejects_rows,
        }


@dataclass(frozen=True)
class BatchDosing:
    """:func:`~dosecalc.cohort.dose_batch` with one run's options, called on each batch."""

    dose: Any
    method: str
    options: dict = field(default_factory=dict)  # keyword options of dose_table: column_map, column_units, ...

    def __call__(self, table, row_offset: int = 0) -> DosedTable:
        # numbered as dose_table numbers them: each dosed row joins back to its input by its row
        return numbered(
            dose_batch(table, self.dose, self.method, row_offset=row_offset, **self.options), table, row_offset
        )


@dataclass(frozen=True)
class OrderDosing:
    """:meth:`dosecalc.Order.for_table` with one run's options, called on each batch."""

    order: Any
    method: str
    options: dict = field(default_factory=dict)  # column_map, column_units, kidney_function and the engine's

    def __call__(self, table, row_offset: int = 0) -> DosedTable:
        dosed, rejects = self.order.for_table(table, method=self.method, row_offset=row_offset, **self.options)
        return DosedTable(dosed, rejects)


@dataclass(frozen=True)
class ProtocolDosing:
    """
    :meth:`dosecalc.Protocol.for_table` with one run's options, called on each batch: the long schedule
    as the dosed rows, ``row`` counted from the input's first row.
    """

    protocol: Any
    method: str
    cycles: int
    options: dict = field(default_factory=dict)  # column_map, column_units and the engine's

    def __call__(self, table, row_offset: int = 0) -> DosedTable:
        schedule, rejects = self.protocol.for_table(table, method=self.method, cycles=self.cycles, **self.options)
        return DosedTable(_rows_after(schedule, row_offset), _rows_after(rejects, row_offset))

    def batch_rows(self) -> int:
        """Patients scheduled at once: about :data:`BATCH_ROWS` rows of schedule, one patient at least."""
        per_patient = self.cycles * sum(item.per_cycle for item in self.protocol.orders)
        return max(1, BATCH_ROWS // per_patient)


def _batch_rows(dosing) -> int:
    """The input rows a run doses at once: :data:`BATCH_ROWS`, or a protocol's patients of as many rows."""
    return dosing.batch_rows() if isinstance(dosing, ProtocolDosing) else BATCH_ROWS


def _rows_after(table: pa.Table, row_offset: int) -> pa.Table:
    """``table`` with its ``row`` counted after ``row_offset`` rows."""
    if not row_offset:
        return table
    index = table.schema.get_field_index("row")
    return table.set_column(index, "row", pc.add(table.column(index), pa.scalar(row_offset, pa.int64())))


def _regrouped(batches: Iterator[pa.RecordBatch], rows: int, read: Callable[[int], object]) -> Iterator[pa.Table]:
    """
    The rows of ``batches`` in tables of ``rows`` rows (the last of fewer; none for no rows), each column
    of one chunk (a CSV's blocks joined: the engine's kernels run once a column, not once a block);
    ``read(rows so far)`` is called after each batch is read.
    """
    pending: list[pa.RecordBatch] = []
    pending_rows = rows_read = 0
    for batch in batches:
        rows_read += batch.num_rows
        read(rows_read)
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= rows:
            table = pa.Table.from_batches(pending, schema=batch.schema)
            yield table.slice(0, rows).combine_chunks()
            rest = table.slice(rows)
            pending, pending_rows = rest.to_batches(), rest.num_rows
    if pending_rows:
        yield pa.Table.from_batches(pending).combine_chunks()


@dataclass(frozen=True)
class Reading:
    """
    How the input files are read: the CSV dialect (a ``.tsv`` file's
    delimiter is a tab unless one is given) and the sheet of a spreadsheet.
    """

    delimiter: str | None = None
    decimal_comma: bool = False
    encoding: str = "utf-8"
    sheet: str | None = None

    def __post_init__(self):
        self.dialect(Path("input.csv"))  # an unknown delimiter or encoding is refused before any file is read

    def dialect(self, path: Path) -> CsvDialect:
        """The CSV dialect of ``path``."""
        tab = file_format(path, "input") == "tsv"
        # None: by the file's ending; an empty text is no delimiter (refused by CsvDialect)
        delimiter = ("\t" if tab else ",") if self.delimiter is None else self.delimiter
        return CsvDialect(delimiter, self.decimal_comma, self.encoding)

    def refuse_unused(self, paths: list[Path]) -> None:
        """
        Refuse a delimiter or an encoding given where none of ``paths`` is CSV, or a sheet where none is a
        spreadsheet: an option the run would not use is refused, not recorded in its provenance as used.
        (A decimal comma is read in the text cells of any file.)
        """
        kinds = {file_format(path, "input") for path in paths}
        csv = {"csv", "tsv"}
        given = [
            ("delimiter", self.delimiter, csv, "a CSV file"),
            ("encoding", None if ENCODINGS[self.encoding.lower()] == "utf-8" else self.encoding, csv, "a CSV file"),
            ("sheet", self.sheet, {"sheet"}, "a spreadsheet (.xlsx, .xlsm, .xls, .ods)"),
        ]
        for name, value, formats, applies in given:
            if value is not None and not kinds & formats:
                first = _KINDS[file_format(paths[0], "input")]
                raise UsageError(f"{name}={value!r}: applies to {applies}; input={paths[0]} is {first}", name)


#: The formats of input files, as an error names them.
_KINDS = {"csv": "a CSV file", "tsv": "a TSV file", "parquet": "a Parquet file", "sheet": "a spreadsheet"}


class _LeanMemory:
    """
    While any run streams, pyarrow allocates from jemalloc where it was built with it and its pool was
    not chosen (``ARROW_DEFAULT_MEMORY_POOL``): mimalloc, pyarrow's default on Linux, keeps what a batch
    freed, which made a run's peak memory grow with the rows (Parquet, 1e5 and 1e7 rows: 164 and 186 MiB;
    145 and 162 MiB from jemalloc from the run's start on, as here; 121 and 134 MiB from the process's
    start, as the command line chooses it). Arrays keep the pool they came from.
    """

    def __init__(self):
        self._lock, self._runs, self._before = threading.Lock(), 0, None

    def __enter__(self):
        with self._lock:
            if self._runs == 0 and "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
                current = pa.default_memory_pool()
                if current.backend_name == "mimalloc":
                    try:
                        pa.set_memory_pool(pa.jemalloc_memory_pool())
                        self._before = current
                    except NotImplementedError:  # a pyarrow built without jemalloc
                        pass
            self._runs += 1
        return self

    def __exit__(self, *error) -> None:
        with self._lock:
            self._runs -= 1
            if self._runs == 0 and self._before is not None:
                pa.set_memory_pool(self._before)
                self._before = None


_lean_memory = _LeanMemory()


class _WithoutPandas:
    """A finder that finds no pandas: ``import pandas`` raises ImportError."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def pyarrow_without_pandas() -> None:
    """
    Let pyarrow find pandas absent when it first looks (pandas stays importable afterwards).

    pyarrow looks for pandas the first time it converts Python values
    (``pa.array``, ``pa.scalar``, ``to_numpy``), and importing it costs a
    run 0.3 s and 40 MiB. For a process that hands pyarrow no pandas object
    before calling ``pa.Table.from_pandas`` or ``to_pandas`` (which find
    pandas again): the command line's file runs call it; a library user need
    not. Nothing changes if pandas is loaded already.
    """
    if "pandas" in sys.modules:
        return
    finder = _WithoutPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.scalar(0)  # pyarrow's one look for pandas
    finally:
        sys.meta_path.remove(finder)


def _is_parquet(path: Path) -> bool:
    return file_format(path, "input") == "parquet"


def _open_csv(path: Path, reading: Reading, read_options: pcsv.ReadOptions, **options) -> pcsv.CSVStreamingReader:
    """pyarrow's streaming reader of a CSV file, one that is a header alone without a line break included."""
    parse = pcsv.ParseOptions(delimiter=reading.dialect(path).delimiter, newlines_in_values=True)
    read_options.encoding = reading.dialect(path).encoding
    try:
        return pcsv.open_csv(path, read_options=read_options, parse_options=parse, **options)
    except pa.ArrowInvalid:  # pyarrow: "Empty CSV file or block: cannot infer number of columns"
        with path.open("rb") as file:
            line = file.read(1 << 16)
        if not line.strip(b"\r\n"):  # nothing, or blank lines only (pyarrow skips them, then finds no header)
            raise DoseCalcError(f"input={path}: is empty; expected a header row, then a row per patient") from None
        if b"\n" in line or b"\r" in line or len(line) == 1 << 16:
            raise
        return pcsv.open_csv(pa.BufferReader(line + b"\n"), read_options=read_options, parse_options=parse, **options)


#: Bytes of a file read to tell UTF-8 text from latin-1 or cp1252 (:func:`_reads_as_utf8`).
UTF8_SAMPLE_BYTES = 1 << 20


def _reads_as_utf8(start: bytes) -> bool:
    """
    Whether bytes that begin a file are UTF-8 text with characters beyond ASCII (or its byte-order mark): in
    latin-1 or cp1252 text an accented letter is one byte, which UTF-8 almost never reads (é, 0xE9, then an
    ASCII letter), so such bytes are UTF-8's; ASCII alone is the same text in each.
    """
    if start.startswith(codecs.BOM_UTF8):
        return True
    if start.isascii():
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start, final=False)  # a character cut at the end waits
    except UnicodeDecodeError:
        return False
    return True


def _csv_header(path: Path, reading: Reading) -> list[str]:
    """A CSV file's header as written: a column without a name (a spreadsheet's empty column) is blank in it."""
    encoding = reading.dialect(path).encoding
    with path.open("rb") as file:
        line = file.readline(1 << 16)
        file.seek(0)
        start = file.read(UTF8_SAMPLE_BYTES)
    if codecs.lookup(encoding).name != "utf-8" and _reads_as_utf8(start):
        # read as latin-1 or cp1252, UTF-8's "é" is "Ã©" and its mark "ï»¿": every non-ASCII id mangled, and two
        # ids of one patient ("José", "JOSÉ") no longer alike
        found = "UTF-8's byte-order mark" if start.startswith(codecs.BOM_UTF8) else "characters written in UTF-8"
        raise DoseCalcError(
            f"input={path}: holds {found}: it is UTF-8 text, not {encoding}; "
            "read it without --encoding (encoding= in Python)"
        )
    first = line.decode(encoding, "replace").rstrip("\r\n")
    hint = delimiter_line(first.removeprefix("\ufeff"))
    if hint is not None:
        raise DoseCalcError(f"input={path}: {hint}")
    try:
        with _open_csv(path, reading, pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False)) as peek:
            names = peek.schema.names
    except pa.ArrowInvalid:  # "Expected 1 columns, got 2": a one-column header, and "1,75" in a row
        hint = separator_hint(
            [first] if reading.dialect(path).delimiter not in first else [], reading.dialect(path).delimiter
        )
        if hint is None:
            raise
        raise DoseCalcError(f"input={path}: {hint}") from None
    return names


def _schema(path: Path, reading: Reading) -> pa.Schema:
    """The schema dosecalc reads ``path`` with: a Parquet file's own, every CSV or spreadsheet column as text."""
    if _is_parquet(path):
        import pyarrow.parquet as pq  # loaded for Parquet only (8 ms at start-up)

        schema = pq.read_schema(path)
        for number, name in enumerate(schema.names, start=1):
            # as a CSV's: data without a name is neither dropped unseen nor written under an invented name
            # (polars' writer named it column_3, and failed beside a column of that name)
            if not name.strip():
                raise DoseCalcError(f"input={path}: column {number} has no name; name it, or delete the column")
            if schema.names.count(name) > 1:
                raise DoseCalcError(f"input={path}: column {name!r} is named twice; keep one")
        return schema
    if file_format(path, "input") == "sheet":
        return read_sheet(path, reading.sheet, reading.decimal_comma).schema
    found = not_text(path)
    if found is not None:
        raise DoseCalcError(f"input={path}: is {found}")
    return pa.schema([(name, pa.string()) for name in _csv_header(path, reading) if name.strip()])


def _without_unnamed_columns(
    batch: pa.RecordBatch, names: list[str], unnamed: dict[str, int], path: Path
) -> pa.RecordBatch:
    """
    The batch of the columns ``names``, without the ``unnamed`` ones (by placeholder, their numbers), which
    must be empty: data without a name is neither dropped unseen nor written under an invented name.
    """
    for placeholder, number in unnamed.items():
        column = batch.column(placeholder)
        filled = pc.invert(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True))
        if pc.any(filled).as_py():
            raise unnamed_column(path, number, column.filter(filled)[0].as_py())
    return batch.select(names)


def _batches(path: Path, schema: pa.Schema, reading: Reading, row_groups=None) -> Iterator[pa.RecordBatch]:
    """The batches of ``path`` (of a Parquet file's ``row_groups`` if given), read as ``schema``."""
    kind = file_format(path, "input")
    if kind == "parquet":
        import pyarrow.parquet as pq  # loaded for Parquet only

        # streamed page by page (no pre-buffering of whole row groups), the columns one after another (a thread
        # per column held a page of each in flight): memory is a batch's, whatever the groups' size
        parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=row_groups, use_threads=False):
            yield batch if batch.schema.equals(schema) else batch.cast(schema)  # a dataset's int column read as float
        return
    if kind == "sheet":
        yield from read_sheet(path, reading.sheet, reading.decimal_comma).to_batches(BATCH_ROWS)
        return
    header = _csv_header(path, reading)
    unnamed = {f"\0{number}": number for number, name in enumerate(header, start=1) if not name.strip()}
    columns = [name if name.strip() else f"\0{number}" for number, name in enumerate(header, start=1)]
    read_options = pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False)
    if unnamed:
        read_options = pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False, column_names=columns, skip_rows=1)
    types = dict(zip(schema.names, schema.types)) | dict.fromkeys(unnamed, pa.string())
    with _open_csv(path, reading, read_options, convert_options=pcsv.ConvertOptions(column_types=types)) as reader:
        for batch in reader:
            yield _without_unnamed_columns(batch, schema.names, unnamed, path) if unnamed else batch


@contextlib.contextmanager
def _reading(path: Path, reading: Reading):
    # a malformed file (a row with too many fields, a corrupt Parquet page, bytes of another encoding) is unusable input
    try:
        yield
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as err:
        encoding = reading.dialect(path).encoding
        if isinstance(err, UnicodeDecodeError) or "invalid UTF8" in str(err):
            found = undecodable_line(path, encoding)
            if found is not None:
                number, line = found
                others = " or ".join(name for name in dict.fromkeys(ENCODINGS.values()) if name != encoding)
                raise DoseCalcError(
                    f"input={path}: line {number} is not {encoding} text ({line[:60]!r}); "
                    f"read it with its encoding, --encoding {others} (encoding= in Python)"
                ) from None
        if "straddles two block boundaries" in str(err) or "cannot infer number of columns" in str(err):
            # a row (or the header) longer than a block: pyarrow's "try to increase block size?" names no option
            raise DoseCalcError(
                f"input={path}: a row or the header is longer than {BLOCK_BYTES >> 10} KiB, the most a row is "
                "read in; no patient's row is so long: is the file a CSV of one row per patient?"
            ) from None
        first = str(err).splitlines()[0]  # a parser's excerpt of the file: its control characters escaped
        # pyarrow's "Row #3" counts records, the header first: the row numbered 2 in the rejects (not a line
        # number: a quoted cell may hold line breaks)
        first = re.sub(r"\bRow #(\d+)", lambda found: f"row {int(found[1]) - 1}", first)
        raise DoseCalcError(
            f"input={path}: {''.join(c if c.isprintable() else ascii(c)[1:-1] for c in first)}"
        ) from None


def _read(path: Path, reading: Reading, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    with _reading(path, reading):
        yield from batches


def read_file(path, reading: Reading | None = None) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """
    The schema and the batches of one input file, read as :func:`convert_file` reads it
    (every CSV or spreadsheet column as text); an unusable file raises DoseCalcError.
    """
    path, reading = Path(path), reading or Reading()
    with _reading(path, reading):
        schema = _schema(path, reading)
    return schema, _read(path, reading, _batches(path, schema, reading))


def _owner(path: Path) -> str:
    """The start of a temporary name for ``path``, naming this host and process (as :func:`remove_stale` reads it)."""
    return f".{path.name}.{socket.gethostname()}-{os.getpid()}-"


def _temporary(path: Path) -> Path:
    """A temporary name beside ``path`` naming this host and process, so that a later run can tell whose it is."""
    return path.with_name(f"{_owner(path)}{uuid.uuid4().hex[:8]}.part")


def _stdout_temporary() -> Path:
    """
    A new file in the system's temporary folder for the output to stdout, named as :func:`_temporary` names
    one beside a file (``.dosecalc-stdout.csv.<host>-<pid>-<random>.part``, made by mkstemp: no other
    process's file or link is opened by that name), after removing those a killed run left.
    """
    named = Path(tempfile.gettempdir()) / "dosecalc-stdout.csv"
    remove_stale(named)
    descriptor, name = tempfile.mkstemp(prefix=_owner(named), suffix=".part", dir=named.parent)
    os.close(descriptor)
    return Path(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(path: Path) -> list[Path]:
    """
    Remove the temporary files (or directories) beside ``path`` left by runs
    killed before they could (SIGKILL, a power cut): those of a process of
    this host that is no longer running. Return what was removed.
    """
    host, removed, dead = socket.gethostname(), [], set()
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.part*"):
        owner = candidate.name[len(path.name) + 2 :].split(".part")[0].rsplit("-", 2)
        if len(owner) != 3 or owner[0] != host or not owner[1].isdigit() or _alive(int(owner[1])):
            continue
        dead.add(owner[1])
        _remove(candidate)
        removed.append(candidate)
    # the same killed run's other files beside it (its rejects, written without --rejects by this run)
    for pid in sorted(dead):
        for candidate in path.parent.glob(f".*.{glob.escape(host)}-{pid}-*.part*"):
            if candidate not in removed:
                _remove(candidate)
                removed.append(candidate)
    return removed


def _remove(candidate: Path) -> None:
    if candidate.is_dir() and not candidate.is_symlink():
        shutil.rmtree(candidate, ignore_errors=True)
    else:
        candidate.unlink(missing_ok=True)


def _cannot_write(path, err: Exception) -> DoseCalcError:
    """One line naming the file and the cause: no permission, a read-only file system, a full disk."""
    # pyarrow's errors say "[errno 28]", polars' "(os error 28)"
    number = getattr(err, "errno", None) or next(
        iter(re.findall(r"\[errno (\d+)\]|\(os error (\d+)\)", str(err))), None
    )
    number = "".join(number) if isinstance(number, tuple) else number
    cause = os.strerror(int(number)) if number else str(err).splitlines()[0]
    if str(path) == "-":
        return DoseCalcError(f"stdout: cannot be written ({cause})")
    return DoseCalcError(f"{path}: cannot be written ({cause}); nothing was written there")


def stdout_write_error(err: OSError) -> DoseCalcError:
    """
    The error of a write to stdout that failed (a closed pipe, a full disk), as one line. Stdout is pointed at
    /dev/null: what it still holds buffered is dropped as the process exits, not reported again as a traceback.
    """
    with contextlib.suppress(OSError, ValueError):  # a stdout without a descriptor (a test's capture) keeps its own
        descriptor, devnull = sys.stdout.fileno(), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, descriptor)
        os.close(devnull)
    return _cannot_write("-", err)


def _copy_to_stdout(path: Path) -> None:
    """The file at ``path`` copied to stdout, after what was printed there before."""
    try:
        with path.open("rb") as file:
            sys.stdout.flush()
            shutil.copyfileobj(file, sys.stdout.buffer, 1 << 20)
            sys.stdout.buffer.flush()
    except OSError as err:
        raise stdout_write_error(err) from None


class PolarsCsvWriter:
    """
    A CSV writer by polars, which formats floats about twice as fast as pyarrow's (the shortest text that reads
    back to the same double, as pyarrow's; ``75.0`` where pyarrow writes ``75``) and quotes only what needs it.

    Up to :data:`FEW_ROWS` rows are held, and written at the close in the same text without loading polars
    (:mod:`dosecalc.csv_text`): a run over a file of a few dozen rows does not pay the ~85 ms of its import.
    """

    def __init__(self, path, schema: pa.Schema, delimiter: str = ","):
        # lists and structs (as pyarrow's writer refuses them) and bytes (polars' would fail at the first batch),
        # before a file is opened
        unwritable = [
            item
            for item in schema
            if pa.types.is_nested(item.type) or pa.types.is_binary(item.type) or pa.types.is_large_binary(item.type)
        ]
        if unwritable:
            raise pa.ArrowNotImplementedError(
                f"column {unwritable[0].name!r} holds {unwritable[0].type}, which CSV cannot hold"
            )
        self._schema, self._delimiter = schema, delimiter
        self._file = open(path, "wb")  # noqa: SIM115 (closed in close)
        self._header = True
        self._held: list[pa.Table] | None = [] if formattable(schema) else None
        self._held_rows = 0
        self._polars: Any = None  # the module, imported at the first write of more than FEW_ROWS

    def write(self, table) -> None:
        table = as_table(table)
        if self._held is not None:
            self._held.append(table)
            self._held_rows += table.num_rows
            if self._held_rows <= FEW_ROWS:
                return
            table, self._held = pa.concat_tables(self._held), None
        if self._polars is None:
            import polars

            self._polars = polars
        # the batches as they come: 3e6 dosed rows converted in 0.09 s, where pl.DataFrame(table) took 0.135 s
        frame = cast("polars.DataFrame", self._polars.from_arrow(table, rechunk=False))  # of a table
        frame.write_csv(self._file, include_header=self._header, separator=self._delimiter, quote_style="necessary")
        self._header = False

    def close(self, failed: bool = False) -> None:
        """Finish the file (a header alone if no batch came), and close it; after a failure, only close it."""
        try:
            if failed:
                return
            if self._held is not None:
                held = pa.concat_tables(self._held) if self._held else pa.Table.from_batches([], schema=self._schema)
                self._file.write(csv_text(held, self._delimiter).encode())
            elif self._header:
                self.write(pa.Table.from_batches([], schema=self._schema))
        finally:  # whatever happened: an open file would keep a full disk busy
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.close(failed=kind is not None)


def _csv_writer_class():
    """The faster CSV writer installed: polars', else pyarrow's."""
    return PolarsCsvWriter if importlib.util.find_spec("polars") is not None else None


def _writer(path: Path, kind: str, schema: pa.Schema, plain_columns):
    if kind == "parquet":
        import pyarrow.parquet as pq  # loaded for Parquet only

        dictionary = [name for name in schema.names if name not in plain_columns]
        return pq.ParquetWriter(path, schema, use_dictionary=dictionary)
    delimiter = "\t" if kind == "tsv" else ","
    fast = _csv_writer_class()
    if fast is not None:
        return fast(path, schema, delimiter)
    options = pcsv.WriteOptions(batch_size=CSV_WRITE_OPTIONS.batch_size, delimiter=delimiter)
    return pcsv.CSVWriter(path, schema, write_options=options)


class _NamedWriter:
    """A writer whose failed write (a full disk) names its own file, not another file of the run written beside it."""

    def __init__(self, writer, named):
        self._writer, self._named = writer, named

    def write(self, table) -> None:
        try:
            self._writer.write(table)
        except OSError as err:
            raise _cannot_write(self._named, err) from None


def _sidecar(path: Path) -> Path:
    """The provenance file written beside a CSV or TSV file: ``<name>.json``."""
    return path.with_name(path.name + ".json")


@contextlib.contextmanager
def placed_together():
    """
    A list that :func:`written_file` hands its finished temporary files to, renamed into place together
    when the block ends without error (the last run's sidecars removed first, the new ones placed last), else
    removed: a run that cannot finish one of
    its files (a full disk at the last flush) leaves none of them in place. A file for stdout (its place
    "-") is copied there first: a copy cannot be undone, and one that fails leaves no file placed.
    """
    moves: list[tuple[Path, Path, Path]] = []  # (temporary, its place, the file named in an error)
    earlier: list[tuple[Path, Path | None]] = []  # (a place renamed into, the file it held before, kept aside)
    try:
        yield moves
        for temporary, _, _ in (move for move in moves if str(move[1]) == "-"):
            _copy_to_stdout(temporary)
        renamed = sorted((move for move in moves if str(move[1]) != "-"), key=lambda move: move[1].suffix == ".json")
        # the last run's records out first: a run killed between the renames leaves a file without its record,
        # never beside the record of another run; then the files, then their records
        steps = [(None, place, place) for _, place, _ in renamed if place.suffix == ".json" and place.is_file()]
        for temporary, place, named in steps + renamed:
            try:
                earlier.append((place, _kept_aside(place)))
                if temporary is None:
                    place.unlink()
                else:
                    os.replace(temporary, place)
            except OSError as err:
                # a later step failed: the files placed (or records removed) before it are undone, each as it was
                for placed, aside in reversed(earlier[:-1]):
                    with contextlib.suppress(OSError):  # best effort: the error is the step that failed
                        if aside is not None:
                            os.replace(aside, placed)
                        elif os.path.lexists(placed):
                            placed.unlink()
                raise _cannot_write(named, err) from None
    finally:
        for temporary, _, _ in moves:
            if os.path.lexists(temporary):  # not unlink(missing_ok=True): on a read-only file system it raises
                temporary.unlink()
        for _, aside in earlier:
            if aside is not None and os.path.lexists(aside):
                aside.unlink()


def _kept_aside(place: Path) -> Path | None:
    """
    A second name for the file at ``place`` (a hard link beside it, named as a temporary file so that a
    killed run's is removed by the next), to put it back if a later file of the run cannot be placed; None
    where ``place`` holds no file, or the file system has no hard links (that undo is then not possible).
    """
    if not place.is_file():
        return None
    aside = _temporary(place)
    try:
        os.link(place, aside)
    except OSError:
        return None
    return aside


@contextlib.contextmanager
def written_file(
    path: Path,
    schema: pa.Schema,
    plain_columns=(),
    role: str = "output",
    record: Callable[[], dict] | None = None,
    placing: list | None = None,
):
    """
    A writer of ``path`` (Parquet, TSV or CSV by its ending; CSV on stdout for "-"), writing a temporary file
    beside it that is renamed into place on success (with ``placing``, a list of :func:`placed_together`: when
    every file of the run is complete); Parquet without dictionaries for ``plain_columns``. For stdout the
    temporary file is in the system's temporary folder, and copied to stdout on success: a failed run writes
    nothing there. An ending dosecalc cannot write, or a failed write (no permission, a full disk, a closed
    pipe), raises DoseCalcError naming the file (or stdout) and leaves nothing behind. ``record()``, called
    when the rows are written, gives the run's provenance: a Parquet file's key-value metadata, a CSV's
    sidecar ``<name>.json`` (none beside stdout: the record is the summary's). A symbolic link's target is
    written.
    """
    kind = file_format(path, role)
    if str(path) == "-":
        place, sidecar = Path("-"), None
        temporary = named = _stdout_temporary()  # a full temporary folder is named as such, not as stdout
    else:
        place = named = Path(os.path.realpath(path))  # a link's target is replaced, not the link
        sidecar = _sidecar(place)
        for stale in (place, sidecar):
            remove_stale(stale)
        temporary = _temporary(place)
    temporary_sidecar = None
    handed_over = False
    try:
        try:
            writer = _writer(temporary, kind, schema, plain_columns)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:  # a list column in CSV
            raise _cannot_write(named, err) from None
        with writer:
            yield _NamedWriter(writer, named)
            provenance = None if record is None else json.dumps(record(), ensure_ascii=False, allow_nan=False)
            if provenance is not None and kind == "parquet":
                writer.add_key_value_metadata({METADATA_KEY: provenance})
        moves = [(temporary, place, named)]
        if provenance is not None and kind != "parquet" and sidecar is not None:
            temporary_sidecar = _temporary(sidecar)
            temporary_sidecar.write_text(provenance + "\n", encoding="utf-8")
            moves.append((temporary_sidecar, sidecar, sidecar))  # a sidecar that cannot be placed is named
        with placed_together() if placing is None else contextlib.nullcontext(placing) as placed:
            placed.extend(moves)
            handed_over = True
    except OSError as err:  # no permission, a read-only file system, a full disk: on open, write, close or rename
        raise _cannot_write(named, err) from None
    finally:
        # not unlink(missing_ok=True): on a read-only file system it raises
        for left in () if handed_over else (temporary, temporary_sidecar):
            if left is not None and os.path.lexists(left):
                left.unlink()


def _with_source(rejects: pa.Table, source: str | None) -> pa.Table:
    """The rejects with a ``file`` column naming their input before ``row``; as they are without a source."""
    if source is None:
        return rejects
    return rejects.add_column(rejects.schema.get_field_index("row"), FILE_COLUMN, pa.repeat(source, rejects.num_rows))


def _convert(
    input_path: Path,
    reading: Reading,
    batches: Iterator[pa.RecordBatch],
    dosing: Callable[[pa.Table, int], DosedTable],
    batch_rows: int,
    empty: DosedTable,
    output_path: Path,
    rejects_path: Path | None,
    progress: Callable[[int], object] | None = None,
    source: str | None = None,
    provenance: Callable[[dict, dict], dict] | None = None,
) -> Counts:
    """
    Dose ``batches`` ``batch_rows`` rows at a time, ``dosing(table, rows before it)``, and write the dosed rows
    and the rejects (named ``source`` if given); ``provenance(rows, reasons)`` gives the record written with each file.
    Each table's rows are counted: read = written + rejected (by ``row``), else the run stops.
    """
    counts = Counts()
    reasons: Counter = Counter()
    done: list[Counts] = []
    record = None if provenance is None else (lambda: provenance(done[0].rows, done[0].reasons))
    # the floats the engine computes (dosed, not input) are mostly distinct: a Parquet dictionary of them
    # is built and dropped in every row group, which made writing 1.8x slower and the file 9% larger
    computed = [
        item.name
        for item in empty.dosed.schema
        if pa.types.is_floating(item.type) and item.name not in empty.rejects.schema.names
    ]
    with contextlib.ExitStack() as files:
        files.enter_context(_lean_memory)
        sex_codes = files.enter_context(streamed_sex_codes())  # the batches' sexes read as one column's
        placing = files.enter_context(placed_together())  # left last: once every file is closed
        output = files.enter_context(
            written_file(output_path, empty.dosed.schema, computed, record=record, placing=placing)
        )
        gathered = [(_Gathering(output_path), output)]
        rejects = None
        if rejects_path is not None:
            rejects_schema = _with_source(empty.rejects, source).schema
            rejects = files.enter_context(
                written_file(rejects_path, rejects_schema, role="rejects", record=record, placing=placing)
            )
            gathered.append((_Gathering(rejects_path), rejects))

        def write(groups):
            for writer, group in groups:
                writer.write(group)

        # one group of tables is written (by pyarrow or polars, without the GIL) while the next is read and dosed
        writing_thread = files.enter_context(ThreadPoolExecutor(max_workers=1))
        writing = writing_thread.submit(lambda: None)
        read = (lambda rows: None) if progress is None else progress
        for table in _regrouped(_read(input_path, reading, batches), batch_rows, read):
            result = dosing(table, counts.rows_read)
            counts += _counted(table, result, counts.rows_read, reasons)  # before a row of it is written
            tables = [result.dosed] + ([] if rejects is None else [_with_source(result.rejects, source)])
            groups = [(writer, gathering.add(each)) for (gathering, writer), each in zip(gathered, tables)]
            if any(group is not None for _, group in groups):
                writing.result()
                writing = writing_thread.submit(
                    write, [(writer, group) for writer, group in groups if group is not None]
                )
        writing.result()
        write([(writer, gathering.rest()) for gathering, writer in gathered if gathering.rows])
        done.append(dataclasses.replace(counts, reasons=dict(reasons), sex_codes=dataclasses.replace(sex_codes)))
    return done[0]


class _Gathering:
    """
    Tables gathered until they hold the rows written at a time to ``path`` (:data:`WRITE_ROWS`, or
    :data:`PARQUET_GROUP_ROWS` for Parquet), then written as one: a few rejects a batch would each make
    a Parquet row group, whose metadata the writer keeps to the end (1e7 rows of which one in a thousand
    rejected made 306 groups of 32 rows).
    """

    def __init__(self, path: Path):
        self.limit = PARQUET_GROUP_ROWS if file_format(path, "output") == "parquet" else WRITE_ROWS
        self.pending: list[pa.Table] = []
        self.rows = 0

    def add(self, table: pa.Table) -> pa.Table | None:
        """``table`` gathered; the rows gathered so far, once they are as many as are written at a time."""
        self.pending.append(table)
        self.rows += table.num_rows
        return self.rest() if self.rows >= self.limit else None

    def rest(self) -> pa.Table:
        """The rows gathered so far, as one table; none are gathered after it."""
        group = pa.concat_tables(self.pending)
        self.pending, self.rows = [], 0
        return group


def _patients(table: pa.Table) -> int:
    """The input rows a result's table holds: its distinct ``row`` values (a dosed table without it: its rows)."""
    if "row" not in table.column_names:
        return table.num_rows
    rows = table["row"].to_numpy()
    if rows.size < 2 or bool((rows[1:] > rows[:-1]).all()):  # a row each, in order (a dose's): no hash
        return int(rows.size)
    return pc.count_distinct(table["row"]).as_py()


def _counted(table: pa.Table, result: DosedTable, rows_before: int, reasons: Counter) -> Counts:
    """The counts of one dosed table, its reasons added to ``reasons``; every row written or rejected, else raise."""
    written, rejected = _patients(result.dosed), _patients(result.rejects)
    if written + rejected != table.num_rows:  # the engine's promise, kept by every driver
        raise DoseCalcError(
            f"rows {rows_before + 1}-{rows_before + table.num_rows}: {table.num_rows} read, but {written} dosed "
            f"and {rejected} rejected; nothing was written"
        )
    if result.rejects.num_rows:
        reasons.update(reasons_by_class(result.rejects["reason"]))
    return Counts(table.num_rows, written, rejected, {}, result.dosed.num_rows, result.rejects.num_rows)


@dataclass(frozen=True)
class Prescribed:
    """
    What a run doses each row by: one dose (or a dose column) with the engine's safeguard options,
    an :class:`~dosecalc.Order`, or a :class:`~dosecalc.Protocol`'s orders for ``cycles`` cycles.
    """

    dose: Any = None
    options: dict = field(default_factory=dict)  # dose_table's safeguards: weight_basis, max_dose, ...
    order: Any = None
    protocol: Any = None
    cycles: int | None = None
    kidney_function: str | None = None

    def __post_init__(self):
        if self.order is not None:
            from .order import Order

            if not isinstance(self.order, Order):
                raise DoseCalcError(f"order: expected a dosecalc.Order, not {type(self.order).__name__}")
        if self.protocol is not None:
            from .protocol import Protocol  # loaded for a protocol's run only

            if not isinstance(self.protocol, Protocol):
                raise DoseCalcError(
                    "protocol: expected a dosecalc.Protocol (dosecalc.load_protocol), "
                    f"not {type(self.protocol).__name__}"
                )
        if self.order is not None and self.protocol is not None:
            raise DoseCalcError("order, protocol: give one; a protocol holds its orders")
        held = "the order" if self.order is not None else "the protocol" if self.protocol is not None else None
        if held is not None and self.dose is not None:
            raise DoseCalcError(f"dose={self.dose}: {held} gives the dose; give one or the other")
        if held is not None and self.options:
            name = next(iter(self.options))
            raise DoseCalcError(f"{name}: {held} holds the safeguards; give {name} in its order")
        if self.cycles is not None and self.protocol is None:
            raise DoseCalcError("cycles: the cycles of a protocol to plan; give protocol= too")
        if self.kidney_function is not None and self.order is None:
            raise DoseCalcError("kidney_function: adds an order's kidney estimate to its rows; give order= too")
        if self.protocol is not None:
            self.protocol.planned(self.cycles)  # a number of cycles it cannot plan is refused now

    def dosing(self, method, column_map, column_units, decimal_comma: bool):
        """The batch function of a run."""
        columns = {"column_map": column_map, "column_units": column_units}
        engine = {"decimal_comma": decimal_comma, "numeric_inputs": True}
        if self.order is not None:
            return OrderDosing(self.order, method, {**columns, "kidney_function": self.kidney_function, **engine})
        if self.protocol is not None:
            return ProtocolDosing(self.protocol, method, self.protocol.planned(self.cycles), {**columns, **engine})
        return BatchDosing(self.dose, method, {**columns, **engine, **self.options})

    def record(self) -> dict:
        """The run's options that say what was dosed, for its provenance."""
        if self.order is not None:
            return {"order": self.order.to_dict(), "kidney_function": self.kidney_function}
        if self.protocol is not None:
            return {"protocol": protocol_record(self.protocol, self.protocol.planned(self.cycles))}
        bands = self.options.get("bands")
        deviation = {} if bands is None else {"band_deviation_pct": bands.deviation_pct}  # how far a band moves a dose
        return {"dose": self.dose, **self.options, **deviation}

    def formulas(self, method: str) -> list[dict]:
        """The formulas that computed the run's numbers, for its provenance."""
        if self.order is not None:
            return order_formulas([self.order], method, self.kidney_function)
        if self.protocol is not None:
            return order_formulas([item.order for item in self.protocol.orders], method)
        return formulas_of(method, self.options.get("weight_basis"))


def _dosing(
    schema: pa.Schema, prescribed: Prescribed, method, column_map, column_units, path: Path, reading: Reading
) -> tuple[BatchDosing | OrderDosing | ProtocolDosing, DosedTable]:
    """A run's batch function, and the output schemas of the empty input: an unusable input fails here, before any write."""
    # a header of one column holding another delimiter: the file was read with the wrong one, and would fail
    # as "a weight column is required" or on its first row with a comma in a number; say so instead
    hint = (
        None
        if file_format(path, "input") in ("parquet", "sheet")
        else separator_hint(schema.names, reading.dialect(path).delimiter)
    )
    if hint is not None:
        raise DoseCalcError(f"input={path}: {hint}")
    dosing = prescribed.dosing(method, column_map, column_units, reading.decimal_comma)
    try:
        return dosing, dosing(pa.Table.from_batches([], schema=schema))
    except MissingInputError as err:
        if file_format(path, "input") != "sheet" or reading.sheet is not None:
            raise
        # the first sheet was read, as none was named: a workbook's "Readme" before its patients
        raise DoseCalcError(f"input={path}: its first sheet was read: {err}; --sheet names another") from None


def _summary(counts: Counts, start: float, output: Path, rejects: Path | None, provenance: dict) -> CohortSummary:
    return CohortSummary(
        **counts.rows,
        seconds=time.perf_counter() - start,
        output=str(output),
        rejects=None if rejects is None else str(rejects),
        rejects_by_reason=dict(top_reasons(counts.reasons, len(counts.reasons))),
        provenance=provenance,
    )


@dataclass
class _Record:
    """The provenance of one run, built at its start and completed with its counts (see :mod:`dosecalc.provenance`)."""

    command: str | None
    options: dict
    formulas: list[dict]
    inputs: list[str]  # the paths as given
    digest: Digest  # of the files read
    start: float  # time.perf_counter() when the run started
    started: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc))
    last: dict = field(default_factory=dict)

    def __call__(self, rows: dict, reasons: dict) -> dict:
        """The record of the run's ``rows`` by outcome and ``reasons`` by class; the same one for each file."""
        if self.last and all(self.last[key] == value for key, value in rows.items()):
            return self.last  # the output's record, again for the rejects
        self.last = run_record(
            command=self.command,
            options=self.options,
            inputs=list(zip(self.inputs, self.digest.hexdigests)),
            rows=rows,
            reasons=reasons,
            started=self.started,
            seconds=time.perf_counter() - self.start,
            formulas=self.formulas,
        )
        return self.last


#: What "-" names for each file of a run.
_STDIO = {"input": "stdin", "orders": "stdin", "output": "stdout", "rejects": "stdout"}


def refuse_empty_names(**files) -> None:
    """Refuse a file named by an empty text (an unset shell variable): ``Path("")`` is the working folder."""
    for name, given in files.items():
        if given is not None and not os.fspath(given):
            raise DoseCalcError(f"{name}='': an empty name; expected a file name, or - for {_STDIO[name]}")


def _checked_paths(input_path: Path, output_path: Path, rejects_path: Path | None, input_role: str = "input") -> None:
    """
    The paths of a run checked before it: the input (named ``input_role`` in an error) a file; each file
    written a file in a folder (:func:`~dosecalc.dialects.written_path`), neither the input nor its
    sidecar, and not the other.
    """
    if input_path.is_dir():
        raise DoseCalcError(f"{input_role}={input_path}: is a folder; expected a file")
    if input_path.exists() and not input_path.is_file():  # a device such as /dev/zero, a pipe: read forever
        raise DoseCalcError(f"{input_role}={input_path}: is not a regular file (a device, a pipe or a socket)")
    if not input_path.is_file():
        raise DoseCalcError(f"{input_role}={input_path}: no such file")
    if str(output_path) == str(rejects_path) == "-":
        raise DoseCalcError("rejects=-: the output is written to stdout already; write the rejects to a file")
    for name, path in (("output", output_path), ("rejects", rejects_path)):
        if path is None or str(path) == "-":
            continue
        file_format(path, name)
        written_path(name, path, [input_path])
        sidecar = _sidecar(path)
        if sidecar.exists() and (not sidecar.is_file() or sidecar.samefile(input_path)):
            raise DoseCalcError(
                f"{name}={path}: its provenance would replace {sidecar}, "
                f"{'the input file' if sidecar.is_file() else 'which is not a regular file'}; write to another file"
            )
    if (
        rejects_path is not None
        and "-" not in (str(rejects_path), str(output_path))
        and rejects_path.resolve() == output_path.resolve()
    ):
        raise DoseCalcError(f"rejects={rejects_path}: is the output file; write to another file")


def convert_file(
    input_path,
    output_path,
    dose=None,
    method="mosteller",
    rejects_path=None,
    column_map: dict[str, str] | None = None,
    column_units: dict[str, str] | None = None,
    progress: Callable[[int], object] | None = None,
    *,
    delimiter: str | None = None,
    decimal_comma: bool = False,
    encoding: str = "utf-8",
    sheet: str | None = None,
    command: str | None = None,
    fraction: Callable[[float], object] | None = None,
    order=None,
    protocol=None,
    cycles: int | None = None,
    kidney_function: str | None = None,
    **options,
) -> CohortSummary:
    """
    Dose every row of a patient file; write the dosed rows and the rejects.

    Parameters
    ----------
    input_path : str or path
        A CSV file (``.tsv``: tab-separated), a Parquet file (``.parquet``,
        ``.pq``) or a spreadsheet (``.xlsx``, ``.xls``, ``.ods``; needs the
        ``xlsx`` extra), with a header row; ``"-"`` reads CSV from stdin.
        The columns are those of :func:`dosecalc.cohort.dose_table`.
    output_path : str or path
        Where to write the dosed rows: Parquet for ``.parquet``, tab-separated
        for ``.tsv``, else CSV; ``"-"`` writes CSV to stdout. An ending
        dosecalc cannot write (``.xlsx``) is refused. Never the input. The
        height, weight and dose columns of the dosed rows are written as the
        numbers they were read as; every other column as given.
    dose : str, optional
        The dose for every row, such as ``"75 mg/m^2"``; else a dose column.
    method : str, default "mosteller"
        BSA formula (see :data:`dosecalc.BSA_METHODS`).
    rejects_path : str or path, optional
        Where to write the rejected rows: each row's fields as given, plus
        ``row`` (1-based, counting data rows) and ``reason``.
    column_map, column_units : dict, optional
        Columns for inputs with other names, and their units, as for
        :func:`~dosecalc.cohort.dose_table`.
    progress : callable, optional
        Called after each batch with the number of rows read so far.
    delimiter : str, optional
        A CSV's delimiter: ``","`` (``"\\t"`` for ``.tsv``), ``";"``,
        ``"tab"`` or ``"|"``. A file whose one-column header holds another
        delimiter is refused with that hint.
    decimal_comma : bool, default False
        Numbers are written ``1,75`` (see :func:`~dosecalc.cohort.dose_table`).
    encoding : str, default "utf-8"
        ``"utf-8"``, ``"latin-1"`` or ``"cp1252"``; a line that is not text in
        it stops the run, naming the line.
    sheet : str, optional
        The sheet of a spreadsheet; by default its first.
    command : str, optional
        The command line of the run, for its provenance.
    fraction : callable, optional
        Called after each batch with the share of the input read, 0 to 1:
        by bytes for CSV, by rows for Parquet and spreadsheets (for a
        progress bar's percent and time left).
    order : dosecalc.Order, optional
        Dose every row by this order, as :meth:`dosecalc.Order.for_table`
        does (its dose, safeguards and kidney settings; ``row``, ``drug``
        and ``final_dose_mg`` among the dosed columns), instead of ``dose``
        and the safeguard options, which are then refused.
    protocol : dosecalc.Protocol, optional
        Schedule every patient for every order of the protocol, as
        :meth:`dosecalc.Protocol.for_table` does: the output is the long
        schedule (a row per patient, drug and administration, ``row``
        counting the input's rows), the rejects a row per patient and drug
        that failed; a patient is scheduled for every drug or for none.
        ``rows_written`` counts the patients scheduled, ``output_rows`` the
        rows of the schedule. Not with ``dose`` or the safeguard options.
    cycles : int, optional
        The cycles of the protocol to plan; by default the protocol's.
    kidney_function : str, optional
        With ``order``: ``"cockcroft-gault"``, ``"ckd-epi-2021"`` or
        ``"schwartz-bedside"`` adds that estimate's columns to the dosed
        rows and rejects the rows it cannot be made for
        (:meth:`dosecalc.Order.for_table`).
    **options
        Further keyword options of :func:`~dosecalc.cohort.dose_table`:
        its safeguards (``weight_basis``, ``max_dose``, ...).

    Returns
    -------
    CohortSummary

    Raises
    ------
    DoseCalcError
        If the input is unusable (no such file, a malformed row, no
        recognisable height or weight column, an unknown unit, bytes not of
        its encoding), a reading option does not apply to it (a sheet of a
        CSV file, a delimiter or an encoding of a Parquet file or a
        spreadsheet: a UsageError), the output would overwrite it, or an output cannot be
        written (no permission, a read-only location, a full disk, a closed
        stdout). Nothing is written under the output's name, nor on stdout; temporary files of runs killed
        before they could remove them (SIGKILL) are removed by the next run
        over the same output.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "patients.csv").write_text("patient_id,height_in,weight_lb\\nA1,69,154\\nA2,1.75,160\\n")
    >>> summary = convert_file(folder / "patients.csv", folder / "dosed.csv", dose="75 mg/m^2")
    >>> summary.rows_read, summary.rows_written, summary.rows_rejected
    (2, 1, 1)
    """
    start = time.perf_counter()
    refuse_empty_names(input=input_path, output=output_path, rejects=rejects_path)
    for name, given in (("output", output_path), ("rejects", rejects_path)):
        if given is not None and os.fspath(given).endswith((os.sep, "/")):  # Path() would drop the "/"
            raise DoseCalcError(f"{name}={os.fspath(given)}: names a folder; expected a file name")
    reading = Reading(delimiter, decimal_comma, encoding, sheet)
    prescribed = Prescribed(dose, options, order, protocol, cycles, kidney_function)
    output_path = Path(output_path)
    rejects_path = None if rejects_path is None else Path(rejects_path)
    given = os.fspath(input_path)
    reading.refuse_unused([Path(given)])
    with _input_file(input_path) as input_path:
        _checked_paths(input_path, output_path, rejects_path)
        with _reading(input_path, reading):
            schema = _schema(input_path, reading)
        dosing, empty = _dosing(schema, prescribed, method, column_map, column_units, input_path, reading)
        record = _Record(
            command,
            _run_options(
                prescribed,
                method,
                output_path,
                rejects_path,
                column_map,
                column_units,
                reading.dialect(input_path),
                sheet,
            ),
            prescribed.formulas(method),
            [given],
            Digest([input_path]),
            start,
        )
        batches = _batches(input_path, schema, reading)
        progress = _with_fraction(progress, fraction, _share_read(input_path, reading))
        counts = _convert(
            input_path,
            reading,
            batches,
            dosing,
            _batch_rows(dosing),
            empty,
            output_path,
            rejects_path,
            progress,
            provenance=record,
        )
    return _summary(counts, start, output_path, rejects_path, record.last)


def _share_read(path: Path, reading: Reading) -> Callable[[int, int], float]:
    """``share(batches, rows)``: how much of ``path`` its first ``batches`` batches (``rows`` rows) are, 0 to 1."""
    kind = file_format(path, "input")
    if kind == "parquet":
        import pyarrow.parquet as pq  # loaded for Parquet only

        total = max(pq.ParquetFile(path).metadata.num_rows, 1)
        return lambda batches, rows: rows / total
    if kind == "sheet":
        total = max(read_sheet(path, reading.sheet, reading.decimal_comma).num_rows, 1)
        return lambda batches, rows: rows / total
    size = max(path.stat().st_size, 1)  # the streaming reader takes a block of BLOCK_BYTES per batch
    return lambda batches, rows: min(batches * BLOCK_BYTES / size, 1.0)


def _with_fraction(progress, fraction, share) -> Callable[[int], object] | None:
    """A progress callback that also reports the share of the input read."""
    if fraction is None:
        return progress
    batches = itertools.count(1)

    def report(rows: int) -> None:
        if progress is not None:
            progress(rows)
        fraction(share(next(batches), rows))

    return report


def _run_options(
    prescribed: Prescribed, method, output, rejects, column_map, column_units, dialect: CsvDialect, sheet
) -> dict:
    """The options of a run as its provenance records them."""
    return {
        **prescribed.record(),
        "method": method,
        "output": os.fspath(output),
        "rejects": None if rejects is None else os.fspath(rejects),
        "column_map": column_map,
        "column_units": column_units,
        **dialect.to_dict(),
        "sheet": sheet,
    }


@contextlib.contextmanager
def _input_file(given):
    """The input's path; for "-", stdin copied to a temporary file (read twice: its header, then its rows), then removed."""
    if os.fspath(given) != "-":
        yield Path(given)
        return
    # named as a temporary beside a file is (:func:`_temporary`), so that the copies of runs killed before they
    # could remove them (SIGKILL) are found and removed by the next run that reads stdin
    named = Path(tempfile.gettempdir()) / "dosecalc-stdin"
    remove_stale(named)
    with tempfile.TemporaryDirectory(prefix=_owner(named), suffix=".part", dir=named.parent) as folder:
        path = Path(folder) / "stdin.csv"
        with path.open("wb") as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy, 1 << 20)
        try:
            yield path
        except DoseCalcError as err:  # name the input as given, not its copy
            raise DoseCalcError(str(err).replace(str(path), "-")) from None


# --- datasets: many files, one piece at a time --------------------------------------


@dataclass(frozen=True)
class Piece:
    """A part of a dataset's input converted as one: a CSV file, or a run of a Parquet file's row groups."""

    path: Path  # the input file
    source: str  # its path under the input's folder, as the rejects' ``file`` column gives it
    name: str  # the output file, under the output (and rejects) directory
    row_groups: tuple[int, ...] | None  # of a Parquet file; None: the whole CSV file
    row_offset: int  # rows of the file before this piece


@dataclass(frozen=True)
class DatasetJob:
    """What converting any piece of a dataset needs; the same for every driver, local or on Dask workers."""

    schema: pa.Schema  # of every input file
    dosing: BatchDosing | OrderDosing | ProtocolDosing
    empty: DosedTable  # the output schemas
    output_dir: Path
    rejects_dir: Path | None
    reading: Reading = Reading()

    def convert(self, piece: Piece, progress: Callable[[int], object] | None = None) -> Counts:
        """Stream one piece through the engine into its output file (and rejects file)."""
        output_path = self.output_dir / piece.name
        rejects_path = None if self.rejects_dir is None else self.rejects_dir / piece.name
        return _convert(
            piece.path,
            self.reading,
            _batches(piece.path, self.schema, self.reading, piece.row_groups),
            lambda table, rows_before: self.dosing(table, piece.row_offset + rows_before),
            _batch_rows(self.dosing),
            self.empty,
            output_path,
            rejects_path,
            progress,
            piece.source,
        )

    def make_folders(self, pieces: list[Piece]) -> None:
        """Make the folders the pieces are written in; a piece makes none (see :func:`_written_dir`)."""
        for folder in (self.output_dir, self.rejects_dir):
            if folder is None:
                continue
            for piece in pieces:
                (folder / piece.name).parent.mkdir(parents=True, exist_ok=True)


def _dataset_files(input_paths) -> tuple[list[Path], Path, list[Path]]:
    """
    The CSV and Parquet files of directories (recursively), glob patterns or files, sorted; the folder they
    are named under (a directory given alone, else the files' common folder); the directories given.
    A file named is taken whatever its name, as :func:`convert_file` takes it; each input given must
    bring a file, so that none is left out unseen, and none twice (by another name or a link either).
    Every path is absolute (a Dask worker may run elsewhere) and normalised: no ``..`` in it, so that its
    name under the common folder stays under the output folder.
    """
    given = [input_paths] if isinstance(input_paths, (str, os.PathLike)) else list(input_paths)
    files: dict[Path, str] = {}  # each file, by the input that brought it
    identities: dict[tuple[int, int], Path] = {}  # each file by device and inode: a link is the file it names
    directories: list[Path] = []
    for item in (str(os.fspath(name)) for name in given):
        if not item:  # Path("") is the working folder: an unset variable would dose every file in it
            raise DoseCalcError("input='': an empty name; expected a file, a folder or a pattern")
        path = Path(item)
        if path.is_file():  # a name, not a pattern, even with "[" in it
            found = [_normalised(path)]
        elif path.is_dir():
            directory = path.resolve()
            directories.append(directory)
            # as pyarrow.dataset does, names starting with "." or "_" are not data (temporary files, _SUCCESS)
            found = [
                path
                for path in directory.rglob("*")
                if not any(part.startswith((".", "_")) for part in path.relative_to(directory).parts)
                and path.suffix.lower() in _DATASET_SUFFIXES
            ]
        elif not set("*?[") & set(item):
            raise DoseCalcError(f"input={item}: no such file")
        else:
            # a pattern finds data as a folder scan does: not "_SUCCESS", "_skip.csv" or hidden files
            found = [
                _normalised(Path(name))
                for name in glob.glob(item, recursive=True)
                if not Path(name).name.startswith((".", "_")) and Path(name).suffix.lower() in _DATASET_SUFFIXES
            ]
        kept = sorted(path for path in found if path.is_file())
        if not kept:
            raise DoseCalcError(f"input={item}: no CSV or Parquet files there (expected directories, globs or files)")
        for path in kept:
            status = path.stat()
            first = identities.setdefault((status.st_dev, status.st_ino), path)
            if first != path or path in files:
                again = f"{path} again" if first == path else f"{path}, the same file as {first}"
                earlier = "" if files[first] == item else f" (input={files[first]} brings it already)"
                raise DoseCalcError(f"input={item}: brings {again}{earlier}; give each file once")
            files[path] = item
    if not files:
        raise DoseCalcError("input: none given (expected directories, globs or files)")
    folders = directories + [path.parent for path in files if not any(path.is_relative_to(d) for d in directories)]
    return sorted(files), Path(os.path.commonpath(folders)), directories


def _normalised(path: Path) -> Path:
    """``path`` absolute, its folder resolved (no ``..``, no link), its name kept: a link to a file keeps its own."""
    return path.absolute().parent.resolve() / path.name


def _numeric(data_type: pa.DataType) -> bool:
    return pa.types.is_integer(data_type) or pa.types.is_floating(data_type)


def _common_schema(files: list[Path], reading: Reading) -> pa.Schema:
    """
    The schema all ``files`` share, or raise naming the first that differs; a column that is
    integer in some files and float (or another integer width) in others is read as float64.
    """
    first = None
    for path in files:
        with _reading(path, reading):
            schema = _schema(path, reading)
        if first is None:
            first, first_path = schema, path
            continue
        same = schema.names == first.names and all(
            a.type == b.type or (_numeric(a.type) and _numeric(b.type)) for a, b in zip(schema, first)
        )
        if not same:
            columns = ", ".join(f"{item.name}: {item.type}" for item in first)
            raise DoseCalcError(
                f"input={path}: its columns differ from {first_path}'s ({columns}); a dataset's files share one schema"
            )
        first = pa.schema([a if a.type == b.type else a.with_type(pa.float64()) for a, b in zip(first, schema)])
    return first


def _row_group_runs(path: Path) -> list[tuple[tuple[int, ...], int]]:
    """A Parquet file's row groups in runs of up to PIECE_ROWS rows (one group at least), with the rows before each."""
    import pyarrow.parquet as pq  # loaded for Parquet only

    with _reading(path, Reading()):
        metadata = pq.ParquetFile(path).metadata
    runs: list[tuple[tuple[int, ...], int]] = []
    run: list[int] = []
    run_rows, offset = 0, 0
    for group in range(metadata.num_row_groups):
        rows = metadata.row_group(group).num_rows
        if run and run_rows + rows > PIECE_ROWS:
            runs.append((tuple(run), offset))
            offset, run, run_rows = offset + run_rows, [], 0
        run.append(group)
        run_rows += rows
    runs.append((tuple(run), offset))
    return runs


def _pieces(files: list[Path], root: Path) -> list[Piece]:
    """The pieces of a dataset, in order; each written to ``<its path under root>.parquet`` (``-<k>`` if split)."""
    pieces = []
    for path in files:
        relative = path.relative_to(root)
        if ".." in relative.parts:
            raise DoseCalcError(
                f"input={path}: would be written to {relative.with_suffix('.parquet').as_posix()}, outside the "
                "output folder; name it without '..'"
            )
        runs = _row_group_runs(path) if _is_parquet(path) else [(None, 0)]
        for number, (row_groups, row_offset) in enumerate(runs):
            stem = relative.with_suffix("").as_posix() + ("" if len(runs) == 1 else f"-{number}")
            pieces.append(Piece(path, relative.as_posix(), f"{stem}.parquet", row_groups, row_offset))
    name, count = Counter(piece.name for piece in pieces).most_common(1)[0]
    if count > 1:
        inputs = sorted({piece.source for piece in pieces if piece.name == name})
        raise DoseCalcError(f"inputs {', '.join(inputs)} would all be written to {name}; rename one")
    return pieces


def _checked_folders(input_dirs: list[Path], output_dir: Path, rejects_dir: Path | None) -> None:
    for name, folder in (("output", output_dir), ("rejects", rejects_dir)):
        if folder is None:
            continue
        if str(folder) == "-":  # a folder of Parquet files is no stream: never a folder named "-"
            raise DoseCalcError(
                f"{name}=-: a dataset is written as a folder of Parquet files, not to stdout; name a folder"
            )
        if not folder.parent.is_dir():
            raise DoseCalcError(f"{name}={folder}: no such directory {folder.parent}")
        if folder.suffix.lower() == ".csv":  # a folder that looks like a CSV file, and holds Parquet files
            raise DoseCalcError(
                f"{name}={folder}: a dataset is written as a folder of Parquet files; name it without .csv"
            )
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise DoseCalcError(f"{name}={folder}: exists; expected a new or empty directory")
        for input_dir in input_dirs:  # a later run would read this one's output as input
            if folder.resolve().is_relative_to(input_dir.resolve()):
                raise DoseCalcError(f"{name}={folder}: is inside the input directory {input_dir}; write elsewhere")
    if rejects_dir is not None:
        output, rejects = output_dir.resolve(), rejects_dir.resolve()
        if output.is_relative_to(rejects) or rejects.is_relative_to(output):
            raise DoseCalcError(f"rejects={rejects_dir}: is or holds the output directory; write to another directory")


@contextlib.contextmanager
def _written_dir(path: Path):
    """A temporary directory beside ``path``, renamed to ``path`` when the block succeeds, else removed."""
    remove_stale(path)
    temporary = _temporary(path)
    try:
        temporary.mkdir()
    except OSError as err:
        raise _cannot_write(path, err) from None
    try:
        yield temporary
        if path.is_dir():
            path.rmdir()  # an empty directory, as checked
        os.replace(temporary, path)
    except BaseException:
        # moved aside, then removed: a piece still running on a Dask worker writes by the old name
        # (and makes no folder), so it cannot add a file to what is being removed
        removed = temporary.with_name(f"{temporary.name}.removed")
        os.replace(temporary, removed)
        shutil.rmtree(removed, ignore_errors=True)
        raise


def convert_dataset(
    input_paths,
    output_dir,
    dose=None,
    method="mosteller",
    rejects_dir=None,
    column_map: dict[str, str] | None = None,
    column_units: dict[str, str] | None = None,
    progress: Callable[[int], object] | None = None,
    runner: Callable[..., Counts] | None = None,
    *,
    delimiter: str | None = None,
    decimal_comma: bool = False,
    encoding: str = "utf-8",
    sheet: str | None = None,
    command: str | None = None,
    order=None,
    protocol=None,
    cycles: int | None = None,
    kidney_function: str | None = None,
    **options,
) -> CohortSummary:
    """
    Dose every row of a dataset of patient files; write a Parquet dataset of the dosed rows and one of the rejects.

    Each input file is converted in pieces (a CSV file, or up to
    :data:`PIECE_ROWS` rows of a Parquet file's row groups), each streamed
    batch by batch, so memory stays bounded. Piece ``k`` of ``<dir>/<name>.csv``
    is written to ``output_dir/<dir>/<name>.parquet`` (``<name>-<k>.parquet``
    when a file is split), so a hive-partitioned input (``site=BOS/...``) stays
    partitioned. The rows and row numbers are those :func:`convert_file` gives
    on each file: the dataset is the single-file runs, concatenated.

    Parameters
    ----------
    input_paths : str or path, or a list of them
        A directory (every ``.csv``, ``.parquet`` and ``.pq`` file below it,
        except names starting with "." or "_"), a glob pattern such as
        ``"extracts/**/*.parquet"`` (the same files), a file (whatever its
        name, as for :func:`convert_file`), or a list of these (as a shell
        expands a glob); each must bring a file. The files share one
        schema. Their paths under a directory given alone, else under their
        common folder, name the output files and the rejects' ``file``.
    output_dir : str or path
        A new (or empty) directory for the dosed rows: a Parquet dataset,
        read back with ``pyarrow.dataset.dataset(output_dir)``, and the run's
        provenance in :data:`PROVENANCE_FILE` (which a dataset reader skips).
    dose, method, column_map, column_units, delimiter, decimal_comma, encoding, sheet, **options
        As for :func:`convert_file` (``sheet``: of each spreadsheet named).
        Files that differ only in a column being integer in some and float
        in others are read together, as float.
    order, protocol, cycles, kidney_function
        As for :func:`convert_file`: each file dosed by an order, or scheduled
        by a protocol (the dataset is then the files' schedules).
    rejects_dir : str or path, optional
        A new (or empty) directory for the rejected rows: each row as given,
        plus ``file`` (its input file, under the input's folder), ``row``
        (1-based within that file, counting data rows) and ``reason``.
    progress : callable, optional
        Called with the number of rows read so far: after each batch (after
        each piece on Dask).
    runner : callable, optional
        ``runner(job, pieces, progress) -> Counts`` converts the pieces
        (each by ``job.convert(piece)``); by default :func:`run_pieces`, in
        this process. :func:`dosecalc.dask.convert_dataset` passes one that
        runs them on a Dask cluster.

    Returns
    -------
    CohortSummary
        ``output`` and ``rejects`` are the directories.

    Raises
    ------
    DoseCalcError
        If an input brings no file, the files' schemas differ, an input is unusable,
        an output directory exists and is not empty or lies inside the input
        directory. Nothing is left
        under the output's name: the dataset is written into a temporary
        directory beside it and renamed when complete.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "extracts").mkdir()
    >>> _ = (folder / "extracts" / "2024.csv").write_text("patient_id,height_cm,weight_kg\\nA1,175,70\\nA2,1.75,70\\n")
    >>> _ = (folder / "extracts" / "2025.csv").write_text("patient_id,height_cm,weight_kg\\nB1,160,55\\n")
    >>> summary = convert_dataset(folder / "extracts", folder / "dosed", dose="75 mg/m^2", rejects_dir=folder / "rejects")
    >>> summary.rows_read, summary.rows_written, summary.rows_rejected
    (3, 2, 1)
    >>> sorted(path.name for path in (folder / "dosed").iterdir())
    ['2024.parquet', '2025.parquet', '_provenance.json']
    >>> import pyarrow.dataset as ds
    >>> ds.dataset(folder / "rejects").to_table(columns=["file", "row"]).to_pylist()
    [{'file': '2024.csv', 'row': 2}]
    """
    start = time.perf_counter()
    reading = Reading(delimiter, decimal_comma, encoding, sheet)
    prescribed = Prescribed(dose, options, order, protocol, cycles, kidney_function)
    files, root, directories = _dataset_files(input_paths)
    reading.refuse_unused(files)
    record = _Record(
        command,
        _run_options(
            prescribed, method, output_dir, rejects_dir, column_map, column_units, reading.dialect(files[0]), sheet
        ),
        prescribed.formulas(method),
        [os.fspath(path) for path in files],
        Digest(files),
        start,
    )
    for name, given in (("output_dir", output_dir), ("rejects_dir", rejects_dir)):
        if given is not None and not os.fspath(given):  # Path("") is the working folder, "."
            raise DoseCalcError(f"{name}='': an empty name; expected a folder's name")
    output_dir = Path(output_dir)
    rejects_dir = None if rejects_dir is None else Path(rejects_dir)
    _checked_folders(directories, output_dir, rejects_dir)
    schema = _common_schema(files, reading)
    dosing, empty = _dosing(schema, prescribed, method, column_map, column_units, files[0], reading)
    if rejects_dir is not None and FILE_COLUMN in schema.names:
        raise DoseCalcError(
            f"the input has a column named {FILE_COLUMN!r}, which dosecalc writes in the rejects; rename it"
        )
    pieces = _pieces(files, root)
    with contextlib.ExitStack() as folders:
        job = DatasetJob(
            schema,
            dosing,
            empty,
            folders.enter_context(_written_dir(output_dir.absolute())),
            None if rejects_dir is None else folders.enter_context(_written_dir(rejects_dir.absolute())),
            reading,
        )
        job.make_folders(pieces)
        counts = (runner or run_pieces)(job, pieces, progress)
        counts.sex_codes.refuse_mixed()  # pieces read apart (on Dask): an H in one, an M read as male in another
        # beside the pieces, under a name a dataset reader skips (as "_SUCCESS")
        (job.output_dir / PROVENANCE_FILE).write_text(
            json.dumps(record(counts.rows, counts.reasons), ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return _summary(counts, start, output_dir, rejects_dir, record.last)


def run_pieces(job: DatasetJob, pieces: list[Piece], progress: Callable[[int], object] | None = None) -> Counts:
    """Convert the pieces of a dataset one after another in this process: :func:`convert_dataset`'s default runner."""
    counts = Counts()
    with streamed_sex_codes():  # the files' sex columns read as one (an H in one makes the M of the others ambiguous)
        for piece in pieces:
            report = None if progress is None else lambda rows, before=counts.rows_read: progress(before + rows)
            counts += job.convert(piece, report)
    return counts
