"""
Cohorts on Dask: the batch engine on every partition of a dask DataFrame.

:func:`dose_dataframe` maps :func:`dosecalc.cohort.dose_table`, the one batch
function of every driver, over the partitions of a dask DataFrame with
``map_partitions`` and declared ``meta``: building the result computes
nothing, and a table that cannot be dosed at all (no height column, an
unknown unit) fails at once, on the empty ``meta``, before any data is read.
:func:`convert_dataset` runs the pieces of
:func:`dosecalc.cohort_io.convert_dataset` as tasks on a Dask cluster. This
module sits above the engine and the file drivers, which never import it.

Dask is optional (``pip install "dosecalc[dask]"``): this module imports it
only inside its functions, absolutely (``import dask.dataframe``), so
``import dosecalc`` works without it and ``dosecalc.dask`` never stands for
the real ``dask``.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from . import cohort_io
from .cohort import DosedTable, canonical_name, dose_table, spanish_code, streamed_sex_codes
from .cohort_io import CohortSummary, Counts, DatasetJob, Piece
from .errors import DoseCalcError, ImplausibleInputError
from .units import registry

__all__ = ["dose_dataframe", "convert_dataset", "PARTITION_COLUMN"]

#: The column of the dosed rows and the rejects that gives each row's partition of the input.
PARTITION_COLUMN = "partition"


_UNPICKLING = threading.Lock()  # the application registry is the process's: one thread swaps it at a time


@functools.lru_cache(maxsize=8)
def _received(shipped: bytes):
    """
    What :func:`pickle.dumps` shipped to a worker, its quantities (a dose, an order's maximum dose) in
    dosecalc's unit registry: pint unpickles a quantity into its application registry, set to dosecalc's
    while this runs and given back after.
    """
    import pint

    with _UNPICKLING:
        before = pint.application_registry.get()
        pint.set_application_registry(registry())
        try:
            return pickle.loads(shipped)
        finally:
            pint.set_application_registry(before)


@dataclass(frozen=True)
class _TableDosing:
    """:func:`~dosecalc.cohort.dose_table` with one run's options: the dosed rows carry ``row``, as the rejects."""

    dose: Any
    method: str
    options: dict = field(default_factory=dict)

    def __call__(self, table, row_offset: int = 0) -> DosedTable:
        return dose_table(table, self.dose, self.method, row_offset=row_offset, **self.options)


def _pandas_type(arrow_type: pa.DataType):
    # every column keeps its Arrow type (pandas.ArrowDtype); dictionaries (bsa_method) become categories
    import pandas as pd

    return None if pa.types.is_dictionary(arrow_type) else pd.ArrowDtype(arrow_type)


def _to_pandas(table: pa.Table):
    return table.to_pandas(types_mapper=_pandas_type)


def _input_schema(meta) -> pa.Schema:
    """The Arrow schema every partition is read as: ``meta``'s, an empty object column (unknown type) as text."""
    schema = pa.Schema.from_pandas(meta, preserve_index=False).remove_metadata()
    return pa.schema([item.with_type(pa.string()) if pa.types.is_null(item.type) else item for item in schema])


def _with_partition(table: pa.Table, number: int) -> pa.Table:
    """``table`` with ``partition`` (int64) before its ``row``."""
    column = pa.repeat(pa.scalar(number, pa.int64()), table.num_rows)
    return table.add_column(table.schema.get_field_index("row"), PARTITION_COLUMN, column)


def _holds_h(sexes):
    """Whether a partition's sex column holds a Spanish code (``H``, *hombre*), as :func:`~dosecalc.cohort.sexes_of` reads one."""
    import pandas as pd

    return pd.Series([any(spanish_code(str(value)) for value in sexes.dropna().unique())])


def _dose_partition(
    frame, shipped: bytes, schema: pa.Schema, row_offsets, spanish=False, sex=None, partition_info=None
):
    """
    One partition through the engine: a one-element object Series holding its DosedTable. ``spanish``: whether
    any partition's sex column ``sex`` holds an ``H``: this partition's ``M`` are then ambiguous too.
    """
    import pandas as pd

    number = partition_info["number"]
    try:
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise _dtype_error(frame, schema, number) from None
    offset = 0 if row_offsets is None else row_offsets[number]
    with streamed_sex_codes() as codes:  # the partitions' sex columns read as one column
        if spanish:
            codes.spanish, codes.column = "H", sex
        dosed, rejects = _received(shipped)(table, offset)
    result = DosedTable(_with_partition(dosed, number), _with_partition(rejects, number))
    holder = pd.Series([None], dtype=object)
    holder.iloc[0] = (result, frame.index, offset)
    return holder


def _dtype_error(frame, schema: pa.Schema, number: int) -> DoseCalcError:
    """The first column of a partition that does not convert to the type the dataframe's ``meta`` declares."""
    for item in schema:
        try:
            pa.Array.from_pandas(frame[item.name], type=item.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return DoseCalcError(
                f"partition {number}: column {item.name!r} holds {frame[item.name].dtype}, not the {item.type} the "
                f"dataframe's meta declares; give every partition one dtype (ddf.astype({{{item.name!r}: ...}}))"
            )
    return DoseCalcError(
        f"partition {number}: its columns differ from the dataframe's meta ({', '.join(schema.names)})"
    )


def _part(holder, name: str):
    """The dosed rows or the rejects of one partition, each row under its input's index label (found by ``row``)."""
    result, index, offset = holder.iloc[0]
    table = getattr(result, name)
    frame = _to_pandas(table)
    frame.index = index[table["row"].to_numpy() - 1 - offset]
    return frame


def dose_dataframe(ddf, dose=None, method="mosteller", *, row_offsets: Sequence[int] | None = None, **options):
    """
    Dose every row of a dask DataFrame of patients; reject the rows that cannot be.

    Each partition goes through :func:`dosecalc.cohort.dose_table`, as one
    batch of :func:`~dosecalc.cohort_io.convert_file` does; nothing is
    computed until you compute (or write) the results. Compute both together
    (``dask.compute(dosed, rejects)``, or ``to_parquet(..., compute=False)``
    for each, then ``dask.compute``) and each partition is dosed once.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One row per patient; the columns of :func:`~dosecalc.cohort.dose_table`
        (numbers or text). An object column should hold text.
    dose, method, **options
        As for :func:`~dosecalc.cohort.dose_table` (``column_map``,
        ``column_units`` and its other keyword options).
    row_offsets : sequence of int, optional
        Rows before each partition, one number per partition, when they are
        known without computing (from Parquet metadata, say): the rejects'
        ``row`` then counts from there. By default it counts within each
        partition.

    Returns
    -------
    dosed, rejects : dask.dataframe.DataFrame
        The partitions of ``dose_table``'s ``dosed`` and ``rejects``, with
        their Arrow types (``pandas.ArrowDtype``; ``bsa_method`` a category),
        each row under its input's index label (so ``ddf.assign(dose_mg=dosed.dose_mg)``
        gives each patient their own dose, a rejected one none) and the
        input's divisions. Both carry each
        row's provenance after the input's columns: ``partition`` (the
        partition's number in ``ddf``) and ``row`` (1-based), so dosed and
        rejected rows join back to the input by them; a file column of the input
        (``include_path_column``) passes through, so a ddf with a partition per
        file (``blocksize=None``) names each rejected row's file and row.
        ``len(ddf) == len(dosed) + len(rejects)``.

    Raises
    ------
    DoseCalcError
        At once, if the table cannot be dosed at all (see
        :func:`~dosecalc.cohort.dose_table`), it has a ``partition`` column,
        or ``row_offsets`` has not one number per partition.

    Examples
    --------
    >>> import dask, dask.dataframe as dd, pandas as pd
    >>> patients = pd.DataFrame({"patient_id": ["a", "b", "c", "d"],
    ...                          "height_cm": [176.7, 161.3, 1.68, 170.0], "weight_kg": [102.2, 71.8, 79.1, 70.0]})
    >>> dosed, rejects = dose_dataframe(dd.from_pandas(patients, npartitions=2), dose="75 mg/m^2")
    >>> dosed, rejects = dask.compute(dosed, rejects)
    >>> [round(mg, 1) for mg in dosed["dose_mg"]]
    [168.0, 134.5, 136.4]
    >>> dosed[["partition", "row"]].to_dict("records")
    [{'partition': 0, 'row': 1}, {'partition': 0, 'row': 2}, {'partition': 1, 'row': 2}]
    >>> rejects[["partition", "row", "reason"]].to_dict("records")
    [{'partition': 1, 'row': 1, 'reason': 'height_cm=1.68 cm: expected 20-280 cm; did you mean 1.68 m?'}]
    """
    import pandas as pd

    schema = _input_schema(ddf._meta)
    if PARTITION_COLUMN in schema.names:
        raise DoseCalcError(f"the input has a column named {PARTITION_COLUMN!r}, which dosecalc writes; rename it")
    if row_offsets is not None:
        row_offsets = tuple(int(offset) for offset in row_offsets)
        if len(row_offsets) != ddf.npartitions:
            raise DoseCalcError(
                f"row_offsets: {len(row_offsets)} numbers for {ddf.npartitions} partitions; give one per partition"
            )
    if "rejects" in options:  # dose_table's rejects="inline" would give one frame, not two
        raise DoseCalcError("rejects: dose_dataframe gives the dosed rows and the rejects apart; join them by row")
    dosing = _TableDosing(dose, method, options)
    dosed, rejects = dosing(schema.empty_table())  # the metas; an unusable table fails here
    empty = DosedTable(_with_partition(dosed, 0), _with_partition(rejects, 0))
    shipped = pickle.dumps(dosing)
    # an H in any partition's sex column makes the M of every partition ambiguous (hombre/mujer): found lazily,
    # a task each partition's dosing waits for
    sex = (options.get("column_map") or {}).get("sex") or next(
        (name for name in ddf.columns if canonical_name(name) == "sex"), None
    )
    spanish = False
    if sex in ddf.columns:
        spanish = ddf[sex].map_partitions(_holds_h, meta=pd.Series([], dtype=bool)).any()
    results = ddf.map_partitions(
        _dose_partition, shipped, schema, row_offsets, spanish, sex, meta=pd.Series([], dtype=object)
    )
    metas = [_to_pandas(getattr(empty, name)).set_axis(ddf._meta.index[:0]) for name in DosedTable._fields]
    return tuple(
        results.map_partitions(_part, name, meta=meta)  # a partition's rows keep its labels: its divisions hold
        for name, meta in zip(DosedTable._fields, metas)
    )


@contextlib.contextmanager
def _client(scheduler, workers: int):
    """A distributed client: the one given, one connected to an address, or one on a new local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DoseCalcError("the Dask driver needs dask and distributed: pip install 'dosecalc[dask]'") from None
    if isinstance(scheduler, Client):
        yield scheduler
    elif scheduler is None:
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        try:
            client = Client(scheduler)
        except OSError as err:  # no scheduler there, or it did not answer in time
            raise DoseCalcError(f"scheduler={scheduler}: {str(err).splitlines()[0]}") from None
        with client:
            yield client


def convert_dataset(input_paths, output_dir, *args, scheduler=None, workers: int = 2, **options) -> CohortSummary:
    """
    :func:`dosecalc.cohort_io.convert_dataset` on a Dask cluster: each piece one task.

    The same files, rows and row numbers as the local driver: each task runs
    the function it runs, and a worker streams its piece batch by batch.

    Parameters
    ----------
    input_paths, output_dir, *args, **options
        As for :func:`dosecalc.cohort_io.convert_dataset`; ``progress`` is
        called after each piece.
    scheduler : str or distributed.Client, optional
        A scheduler's address (``"tcp://host:8786"``) or a client; by
        default a local cluster of ``workers`` processes is started for the
        run (in a script, call this under ``if __name__ == "__main__":``, as
        for any multiprocessing). Every worker must see the input and output
        paths and have dosecalc installed.
    workers : int, default 2
        Worker processes of that local cluster, at least 1.

    Raises
    ------
    DoseCalcError
        As the local driver; also if dask and distributed are not installed
        (``pip install "dosecalc[dask]"``), no scheduler answers at the
        address, or ``workers`` is not at least 1.
    """
    if scheduler is None and not (isinstance(workers, int) and not isinstance(workers, bool) and workers >= 1):
        raise ImplausibleInputError("workers", workers, "at least 1 worker process")  # with none, no piece would run
    runner = functools.partial(_convert_pieces, scheduler=scheduler, workers=workers)
    return cohort_io.convert_dataset(input_paths, output_dir, *args, runner=runner, **options)  # type: ignore[misc]


def _convert_pieces(
    job: DatasetJob, pieces: list[Piece], progress: Callable[[int], object] | None = None, *, scheduler, workers: int
) -> Counts:
    """Each piece as a task on a Dask cluster; the first failing piece's error is raised, and the caller cleans up."""
    shipped = pickle.dumps(job)
    with _client(scheduler, workers) as client:
        from distributed import as_completed

        futures = client.map(_convert_piece, pieces, shipped=shipped, pure=False)
        counts = Counts()
        try:
            for future in as_completed(futures):
                counts += future.result()
                if progress is not None:
                    progress(counts.rows_read)
        finally:
            client.cancel(futures)
    return counts


def _convert_piece(piece: Piece, shipped: bytes) -> Counts:
    """One piece of a dataset on a worker, by the job shipped (see :func:`_received`)."""
    return _received(shipped).convert(piece)
