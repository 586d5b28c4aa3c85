"""
The small text files people write for dosecalc: protocols (TOML), band and level tables (CSV or TOML); and
never one of them replaced by a file a run writes (:func:`refuse_replacing`).

A file is read only if it is a regular file (:func:`regular_file`: a device such as ``/dev/zero`` would be read
forever), and a TOML file whole only if it holds at most :data:`MAX_FILE_BYTES` (a data file named ``.toml`` by
a slip is refused unread). A byte-order mark (Windows editors write one) is not content; text that is not UTF-8
is refused with its line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import DoseCalcError

__all__ = ["MAX_FILE_BYTES", "load_toml", "refuse_replacing", "regular_file"]

#: Far above any protocol or table: a slip (a data file named .toml) is refused unread.
MAX_FILE_BYTES = 1_000_000


def regular_file(path: Path, shown: str) -> None:
    """Refuse a path that is there but is no regular file (a folder, a device, a pipe), before it is read."""
    if path.exists() and not path.is_file():
        raise DoseCalcError(f"{shown}: not a file (a folder, a device or a pipe); give a file of text")


def load_toml(path: Path, shown: str | None = None) -> dict:
    """
    The TOML file at ``path``, named ``shown`` (as given: "./abvd", not "abvd") in its refusals.

    Raises
    ------
    DoseCalcError
        If the file is not a regular file, cannot be read, is larger than :data:`MAX_FILE_BYTES`, is not UTF-8
        or is not TOML.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: the tomli backport (a dependency there)
        import tomli as tomllib
    shown = str(path) if shown is None else shown
    regular_file(path, shown)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise DoseCalcError(f"{shown}: cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_FILE_BYTES:
        raise DoseCalcError(f"{shown}: more than {MAX_FILE_BYTES:,} bytes; a TOML file of dosecalc's is smaller")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DoseCalcError(f"{shown}: line {line} is not UTF-8 ({err.reason}); save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise DoseCalcError(f"{shown}: not valid TOML ({err})") from None


def refuse_replacing(read: dict[str, str | None], written: dict[str, str | None]) -> None:
    """
    Refuse a file a run writes (``written``, by option; each with its ``.json`` provenance beside it)
    that is a file the run reads besides its input (``read``, by option: a band table, a protocol file),
    also by another name or a link: the run would replace the table it doses by.
    """
    files = {role: Path(text) for role, text in read.items() if text is not None and Path(text).is_file()}
    for role, text in written.items():
        if text is None or text in ("", "-"):
            continue
        for target in (Path(text), Path(f"{text}.json")):
            for other, path in files.items():
                if os.path.realpath(target) == os.path.realpath(path) or (target.exists() and target.samefile(path)):
                    raise DoseCalcError(
                        f"{role} {text}: would replace {other} {path}, which the run reads; write to another file"
                    )
