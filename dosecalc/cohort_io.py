"""
Cohort files: stream a CSV or Parquet file of patients through the engine.

:func:`convert_file` reads the input batch by batch (pyarrow's streaming CSV
reader, or Parquet row batches), doses each batch with
:func:`dosecalc.cohort.dose_table` and appends the dosed rows to the output
and the rejected rows to the rejects file, so memory stays bounded whatever
the file's size. Each file is written under a temporary name beside it and
renamed into place only when complete: a failed or interrupted run leaves
nothing under the output's name.

A CSV is read with every column as text: ids pass through as typed ("007"
stays "007") and the engine, not the parser, decides which cells are numbers,
so a stray word in a numeric column rejects its row instead of stopping the run.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from .cohort import dose_table
from .errors import DoseCalcError

__all__ = ["convert_file", "CohortSummary"]

#: Bytes of CSV per batch (pyarrow reads up to 32 blocks ahead); rows per
#: batch of a Parquet file. They bound the memory a run takes.
BLOCK_BYTES = 1 << 18
BATCH_ROWS = 1 << 16
_PARQUET = (".parquet", ".pq")
#: How dosecalc writes CSV: 65536 rows formatted at a time (pyarrow's default, 1024, is slower).
CSV_WRITE_OPTIONS = pcsv.WriteOptions(batch_size=1 << 16)


@dataclass(frozen=True)
class CohortSummary:
    """
    What a :func:`convert_file` run did: ``rows_read == rows_written + rows_rejected``.

    Attributes
    ----------
    rows_read, rows_written, rows_rejected : int
        Data rows in the input, in the output, in the rejects.
    seconds : float
        Wall time of the run. [s]
    output : str
        The output file.
    rejects : str or None
        The rejects file, if one was asked for.
    """

    rows_read: int
    rows_written: int
    rows_rejected: int
    seconds: float
    output: str
    rejects: str | None

    def to_dict(self) -> dict:
        """Plain data for JSON."""
        return asdict(self)


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in _PARQUET


def _batches(path: Path) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The input's schema and its batches; every CSV column read as text."""
    if _is_parquet(path):
        parquet = pq.ParquetFile(path)
        return parquet.schema_arrow, parquet.iter_batches(batch_size=BATCH_ROWS)
    # the header's names, to type every column as text
    with pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 16, use_threads=False)) as peek:
        names = peek.schema.names
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
        convert_options=pcsv.ConvertOptions(column_types={name: pa.string() for name in names}),
    )
    return reader.schema, reader


@contextlib.contextmanager
def _reading(path: Path):
    # a malformed file (a row with too many fields, a corrupt Parquet page) is unusable input
    try:
        yield
    except (pa.ArrowInvalid, OSError) as err:
        raise DoseCalcError(f"input={path}: {str(err).splitlines()[0]}") from None


def _read(path: Path, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    with _reading(path):
        yield from batches


@contextlib.contextmanager
def _written(path: Path, schema: pa.Schema):
    """A writer to a temporary file beside ``path``, renamed into place on success."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        if _is_parquet(path):
            writer = pq.ParquetWriter(temporary, schema)
        else:
            writer = pcsv.CSVWriter(temporary, schema, write_options=CSV_WRITE_OPTIONS)
        with writer:
            yield writer
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _checked_paths(input_path: Path, output_path: Path, rejects_path: Path | None) -> None:
    if not input_path.is_file():
        raise DoseCalcError(f"input={input_path}: no such file")
    for name, path in (("output", output_path), ("rejects", rejects_path)):
        if path is None:
            continue
        if not path.parent.is_dir():
            raise DoseCalcError(f"{name}={path}: no such directory {path.parent}")
        if path.is_dir():
            raise DoseCalcError(f"{name}={path}: is a directory; expected a file name")
        if path.resolve() == input_path.resolve() or (path.exists() and path.samefile(input_path)):
            raise DoseCalcError(f"{name}={path}: is the input file; write to another file")
    if rejects_path is not None and rejects_path.resolve() == output_path.resolve():
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
    **options,
) -> CohortSummary:
    """
    Dose every row of a patient file; write the dosed rows and the rejects.

    Parameters
    ----------
    input_path : str or path
        A CSV file, or a Parquet file (``.parquet``), with a header row. The
        columns are those of :func:`dosecalc.cohort.dose_table`.
    output_path : str or path
        Where to write the dosed rows: Parquet when the name ends in
        ``.parquet``, else CSV. Never the input.
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
    **options
        Further keyword options of :func:`~dosecalc.cohort.dose_table`.

    Returns
    -------
    CohortSummary

    Raises
    ------
    DoseCalcError
        If the input is unusable (no such file, a malformed row, no
        recognisable height or weight column, an unknown unit) or the output
        would overwrite it. Nothing is written under the output's name.

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
    input_path, output_path = Path(input_path), Path(output_path)
    rejects_path = None if rejects_path is None else Path(rejects_path)
    _checked_paths(input_path, output_path, rejects_path)
    with _reading(input_path):
        schema, batches = _batches(input_path)

    def dosed(batch, row_offset):
        return dose_table(
            batch, dose, method, column_map=column_map, column_units=column_units, row_offset=row_offset, **options
        )

    empty = dosed(schema.empty_table(), 0)  # the output schemas; an unusable input fails here, before any write
    rows_read = rows_written = rows_rejected = 0
    with contextlib.ExitStack() as files:
        output = files.enter_context(_written(output_path, empty.dosed.schema))
        rejects = None if rejects_path is None else files.enter_context(_written(rejects_path, empty.rejects.schema))

        def write(result):
            output.write(result.dosed)
            if rejects is not None:
                rejects.write(result.rejects)

        # one batch is written (by pyarrow, without the GIL) while the next is read and dosed
        writer = files.enter_context(ThreadPoolExecutor(max_workers=1))
        writing = writer.submit(lambda: None)
        for batch in _read(input_path, batches):
            result = dosed(batch, rows_read)
            writing.result()
            writing = writer.submit(write, result)
            rows_read += batch.num_rows
            rows_written += result.dosed.num_rows
            rows_rejected += result.rejects.num_rows
            if progress is not None:
                progress(rows_read)
        writing.result()
    return CohortSummary(
        rows_read=rows_read,
        rows_written=rows_written,
        rows_rejected=rows_rejected,
        seconds=time.perf_counter() - start,
        output=str(output_path),
        rejects=None if rejects_path is None else str(rejects_path),
    )
