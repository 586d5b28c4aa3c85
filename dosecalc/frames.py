"""
Frames in, the same kind of frames out.

The cohort engine computes on Arrow columns; its callers hold pandas, polars
or pyarrow frames (or a dict of arrays). :func:`read_frame` turns any of them
into one Arrow table and remembers how it came: its library, whether it was
lazy, and a pandas-like index. A lazy frame (a polars LazyFrame, ...) is
collected when it is dosed, since the engine checks whole columns; what comes
back is lazy again: a LazyFrame over the dosed rows, on which the caller's
query goes on lazily, and collecting it doses nothing twice. :meth:`Frame.like` turns an Arrow result back
into that library's frame, with the index labels of the rows it holds. The
one layer between the libraries is narwhals ("Dataframe-agnostic"), so every
library it supports is handled by the same lines.

Arrow columns reach the engine in the types its kernels take: string and
binary views (as polars hands them over), also as the values of a
dictionary, become plain large strings and binaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .errors import DoseCalcError

__all__ = ["Frame", "read_frame", "plain_types", "as_table", "refuse_written_columns"]


def refuse_written_columns(names, written) -> None:
    """
    Refuse an input with a column of ``written``, the names dosecalc writes: its values would be replaced. A
    name alike but for its case or surrounding spaces (``Row``, ``BSA_M2``, ``" row"``) is refused too: beside
    dosecalc's own, a tool that reads names whatever their case (SQL, a spreadsheet) would take one for the other.
    """
    own = {str(name).casefold(): name for name in written}
    for name in names:
        mine = own.get(str(name).strip().casefold())
        if mine is not None:
            also = "" if name == mine else f" (as {mine!r}, whatever the case and spaces)"
            raise DoseCalcError(f"the input has a column named {name!r}, which dosecalc writes{also}; rename it")


def as_table(table) -> pa.Table:
    """A Table or RecordBatch as a Table; unlike :func:`pyarrow.table`, without loading pandas to ask if it is a DataFrame."""
    return pa.Table.from_batches([table]) if isinstance(table, pa.RecordBatch) else table


def is_text(data_type: pa.DataType) -> bool:
    """Whether a column of this type holds text: a string, large string or string view."""
    return pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type)


def _plain(data_type: pa.DataType) -> pa.DataType:
    """A type Arrow's compute kernels take: views as large strings and binaries, also inside a dictionary."""
    if pa.types.is_string_view(data_type):
        return pa.large_string()
    if pa.types.is_binary_view(data_type):
        return pa.large_binary()
    if pa.types.is_dictionary(data_type):
        values = _plain(data_type.value_type)
        if values != data_type.value_type:
            return pa.dictionary(data_type.index_type, values, data_type.ordered)
    return data_type


def plain_types(table: pa.Table) -> pa.Table:
    """``table`` with string and binary views (also a dictionary's values) cast to large strings and binaries."""
    for i, item in enumerate(table.schema):
        plain = _plain(item.type)
        if plain != item.type:
            column = table.column(i)
            if pa.types.is_dictionary(plain):  # Arrow casts no dictionary of views: cast its values, keep its indices
                column = pa.chunked_array(
                    [
                        pa.DictionaryArray.from_arrays(chunk.indices, chunk.dictionary.cast(plain.value_type))
                        for chunk in column.chunks
                    ],
                    plain,
                )
            else:
                column = column.cast(plain)
            table = table.set_column(i, item.with_type(column.type), column)
    return table


@dataclass(frozen=True)
class Frame:
    """A caller's table as Arrow, and how to hand a result back in the caller's kind of frame."""

    table: pa.Table  # the rows, in order, in plain Arrow types
    backend: Any  # the narwhals Implementation of the caller's (eager) frames; None for pyarrow and dicts
    lazy: Any  # the Implementation of a lazy frame (polars LazyFrame, ...), whose results are lazy too; else None
    index: Any  # a pandas-like index, else None
    dtypes: dict | None = None  # a pandas frame's extension dtypes (Int64, boolean, string), by column: kept exact

    def like(self, table: pa.Table, positions: np.ndarray | None = None):
        """
        ``table``, whose rows are the input's rows at ``positions`` (None: every input row, in order),
        as the caller's kind of frame.
        """
        if self.backend is None and self.lazy is None:
            return table
        import narwhals as nw  # loaded for another library's frames only: Arrow in, Arrow out needs none

        result = nw.from_arrow(table, backend=self.backend or nw.Implementation.PYARROW)
        if self.lazy is not None:
            return result.lazy(backend=self.lazy).to_native()
        native = result.to_native()
        for name, dtype in (self.dtypes or {}).items():  # Int64 with a null read as float64 would round ids past 2**53
            if name in table.column_names:
                native[name] = _exactly(table[name], dtype, native[name])
        if self.index is not None:  # the input's labels on its rows: an assignment or join aligns by them
            native.index = self.index if positions is None else self.index[positions]
        return native


def _exactly(column: pa.ChunkedArray, dtype, converted):
    """A column in its input's pandas extension dtype, read from Arrow by the dtype itself; as converted where the
    dtype cannot read it (a categorical of a column no longer dictionary-encoded)."""
    try:
        return column.to_pandas(types_mapper=lambda arrow_type: dtype)
    except (TypeError, ValueError, NotImplementedError, pa.ArrowException):
        return converted


def _extension_dtypes(eager) -> dict | None:
    """A pandas frame's columns of extension dtypes (those that read Arrow themselves), by name; None for others."""
    dtypes = getattr(eager.to_native(), "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return None
    return {name: dtype for name, dtype in dtypes.items() if hasattr(dtype, "__from_arrow__")} or None


def read_frame(native) -> Frame:
    """
    Any table of patients as an Arrow :class:`Frame`.

    Parameters
    ----------
    native : DataFrame, LazyFrame, pyarrow.Table, pyarrow.RecordBatch or dict of arrays
        A frame of a library narwhals supports (pandas, polars, pyarrow,
        modin, ...); anything else :func:`pyarrow.table` accepts is read by
        it. A lazy frame is collected here, its whole query (the engine
        checks whole columns); :meth:`Frame.like` hands results back lazy.

    Raises
    ------
    DoseCalcError
        If a column holds more than one type (a pandas object column of
        numbers and text), which Arrow cannot type.
    """
    if isinstance(native, (pa.Table, pa.RecordBatch)):  # as it is: columns of one name are the engine's to refuse
        try:
            return Frame(plain_types(as_table(native)), None, None, None)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
            raise _mixed_types(err) from None
    # loaded for another library's frames only (15 ms at start-up): a file run hands the engine Arrow tables
    import narwhals as nw

    try:
        frame = nw.from_native(native, pass_through=True, allow_series=False)
        if frame is native:  # not a frame narwhals knows: a dict of arrays, an Arrow stream
            try:
                return Frame(plain_types(pa.table(native)), None, None, None)
            except (TypeError, ValueError):  # one patient's numbers, a number, a list of rows: no table of columns
                raise DoseCalcError(
                    f"table: a {type(native).__name__} that is no table of columns; give a frame or a dict of columns "
                    "(one patient's values go to patient_dose)"
                ) from None
        lazy = frame.implementation if isinstance(frame, nw.LazyFrame) else None
        eager = frame if lazy is None else frame.collect()
        implementation, index = eager.implementation, nw.maybe_get_index(eager)
        table = nw.maybe_reset_index(eager).to_arrow().replace_schema_metadata(None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:  # complex numbers: no type
        raise _mixed_types(err) from None
    except TypeError as err:  # a column pyarrow cannot take (pandas' sparse arrays): named as it names it
        raise DoseCalcError(f"table: {str(err).rstrip('.')}; give each column as plain numbers or text") from None
    except nw.exceptions.DuplicateError as err:
        raise DoseCalcError(f"table: {' '.join(str(err).split())}; rename all but one of each") from None
    backend = None if implementation is nw.Implementation.PYARROW else implementation
    if index is not None:
        _refuse_unidentifying(index)
    dtypes = _extension_dtypes(eager) if index is not None else None  # pandas-like frames carry an index
    return Frame(plain_types(table), backend, lazy, index, dtypes)


def _mixed_types(err: Exception) -> DoseCalcError:
    """Arrow's refusal of a column of more than one type (or of one it has not: complex numbers), with what to do."""
    return DoseCalcError(f"table: {'; '.join(map(str, err.args))}; give each column one type, numbers or text")


def _refuse_unidentifying(index) -> None:
    """
    Refuse an index whose labels do not each name one row (a label twice, as after concatenating two
    exports, or a missing label): the results keep the input's labels, and an assignment or a join by
    them would give a patient another's dose.
    """
    fix = "reset it (df.reset_index()), or join the results on their row column"
    if not index.is_unique:
        label = index[index.duplicated()][:1].tolist()[0]
        raise DoseCalcError(f"table: the index holds the label {label!r} more than once; {fix}")
    # a missing label, in any level of a MultiIndex
    missing = np.any([index.get_level_values(level).isna() for level in range(index.nlevels)], axis=0)
    if np.any(missing):
        raise DoseCalcError(f"table: the index holds a missing label (row {int(np.argmax(missing)) + 1}); {fix}")
