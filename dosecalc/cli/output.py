"""What the commands print: one JSON object with --json (through one function, which the web layer can capture), else aligned lines."""

from __future__ import annotations

import contextlib
import json
import math
from contextvars import ContextVar
from typing import TYPE_CHECKING

import typer

from .._version import __version__
from ..bsa import BSA_METHODS
from ..conversions import FDA_2005, KM, SPECIES
from ..patient import GIVEN
from ..units import unit
from ..validation import BSA, is_female
from .app import JSON_COMMAND, plain_stdout

if TYPE_CHECKING:
    from .inputs import Input


# --- JSON -----------------------------------------------------------------------


def quantity_json(quantity) -> dict:
    return {"value": float(quantity.magnitude), "unit": f"{quantity.units:~P}"}


def inputs_json(inputs: dict[str, Input | None], sex: str | None = None) -> dict:
    out = {name: item.to_json() for name, item in inputs.items() if item is not None}
    if sex is not None:
        out["sex"] = {"given": sex, "value": "female" if is_female(sex) else "male", "unit": None}
    return out


def results_json(results: dict) -> dict:
    return {name: quantity_json(quantity) for name, quantity in results.items() if quantity is not None}


def method_json(key: str | None) -> dict | None:
    if key is None:
        return None
    if key == GIVEN:
        return {"name": GIVEN, "label": "given", "reference": None}
    entry = BSA_METHODS[key]
    return {"name": key, "label": entry.label, "reference": entry.reference}


def km_json(km: float, species: str | None) -> dict:
    return {
        "species": species,
        "label": SPECIES[species].label if species else None,
        "value": km,
        "unit": f"{unit(KM.unit):~P}",
        "reference": FDA_2005 if species else None,
    }


_CAPTURED: ContextVar[list | None] = ContextVar("dosecalc_cli_captured", default=None)


@contextlib.contextmanager
def captured():
    """
    Collect the ``--json`` payloads of commands called in-process instead of
    printing them; a bad input is raised as its DoseCalcError, not printed.

    The web layer calls a command's function inside this block, so an HTTP
    answer is the very object ``--json`` prints. A context variable: each
    thread or task has its own.

    Examples
    --------
    >>> from dosecalc.cli.lookup import bsa_command
    >>> with captured() as payloads:
    ...     bsa_command(height="175 cm", weight="70 kg", as_json=True)
    >>> round(payloads[0]["results"]["bsa"]["value"], 4)
    1.8447
    """
    payloads: list = []
    token = _CAPTURED.set(payloads)
    try:
        yield payloads
    finally:
        _CAPTURED.reset(token)


def json_command() -> str | None:
    """The name of the command running with ``--json`` (its errors are JSON on stdout too), else None."""
    return JSON_COMMAND.get()


def capturing() -> bool:
    """Whether a command runs inside :func:`captured`."""
    return _CAPTURED.get() is not None


def print_json(command: str | None, **content) -> None:
    """Print the one JSON object of a command (or hand it to :func:`captured`)."""
    payload = {"command": command, "dosecalc_version": __version__, **content}
    payloads = _CAPTURED.get()
    if payloads is not None:
        payloads.append(payload)
        return
    typer.echo(json.dumps(payload, ensure_ascii=False))


# --- human output ---------------------------------------------------------------


def figures(value: float) -> str:
    """3 significant figures (4 when that is exact: 56.25), the integer part
    never rounded, no trailing zero (ISMP list of error-prone notations)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    if math.isclose(value, round(value, decimals + 1), rel_tol=1e-12):
        decimals += 1
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def show(quantity) -> str:
    return f"{figures(float(quantity.magnitude))} {quantity.units:~P}"


def percent(value: float) -> str:
    """A signed percentage: "+1.23 %", "−1.8 %", "0 %"."""
    sign = "−" if value < 0 else "+" if value > 0 else ""
    return f"{sign}{figures(abs(float(value)))} %"


def rounding_note(rounding) -> str:
    """How a RoundedDose was rounded: "rounded to a 5 mg step: +0.619 %, within ±5 %",
    or to "2 × 100 mg + 1 × 50 mg" of vials."""
    if rounding.method == "step":
        measure = f"a {show(rounding.step)} step"
    else:
        measure = " + ".join(
            f"{count} × {show(strength)}" for count, strength in zip(rounding.counts, rounding.strengths) if count
        )
    return f"rounded to {measure}: {percent(rounding.difference_pct)}, within ±{figures(rounding.tolerance_pct)} %"


def limit_for(limit) -> str:
    """Whom a lifetime limit is for, as a plan or a verification shows it: its condition, and its population
    where it is not everyone's (``"standard, adults"``: an adult's limit beside a child's body is seen)."""
    return limit.condition if limit.population == "all" else f"{limit.condition}, {limit.population}"


def show_bsa(quantity) -> str:
    """A BSA to 2 decimals (1.90 m²), or 3 figures below 1 m² (0.0234 m²: "0.02" beside 23.4 mg did not add up)."""
    value = float(quantity.m_as(unit(BSA.unit)))
    return f"{value:.2f} {unit(BSA.unit):~P}" if value >= 1 else f"{value:.3g} {unit(BSA.unit):~P}"


def print_blocks(*blocks: tuple[list[str] | None, list]) -> None:
    """Print blocks of ``(headers or None, rows)``: rich tables on a terminal,
    else aligned plain text with no colour and no box drawing."""
    # rows of one block padded to one width: a short row never drops a cell of a longer one
    shown = []
    for headers, rows in blocks:
        kept = [list(row) for row in rows if row is not None]
        width = max([len(row) for row in kept] + [len(headers or [])])
        shown.append((headers, [row + [""] * (width - len(row)) for row in kept]))
    if plain_stdout():
        texts = []
        for headers, rows in shown:
            block = ([headers] if headers else []) + rows
            widths = [max(len(cell) for cell in column) for column in zip(*block)]
            texts.append(
                "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in block)
            )
        typer.echo("\n\n".join(texts))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    for number, (headers, rows) in enumerate(shown):
        if number:
            console.line()
        table = Table(
            show_header=headers is not None, box=box.SIMPLE_HEAD if headers else None, pad_edge=False, show_edge=False
        )
        width = len(headers or rows[0])
        for index, header in enumerate(headers or [""] * width):
            table.add_column(header, style="bold" if index == 0 and width > 1 else None)
        for row in rows:
            table.add_row(*map(Text, row))
        console.print(table)


def print_rows(
    *rows: tuple[str, str, str] | None, table: tuple[list[str], list] | None = None, references: tuple = ()
) -> None:
    """Print an optional table, aligned ``label  value  note`` lines, and references."""
    cited = [[f"reference: {reference}"] for reference in references if reference]
    print_blocks(*([table] if table else []), (None, list(rows)), *([(None, cited)] if cited else []))


def method_row(key: str | None):
    if key in (None, GIVEN):
        return None
    entry = BSA_METHODS[key]
    return "formula", entry.label, entry.reference


def km_row(km: float, species: str | None, label: str = "Km"):
    return label, f"{figures(km)} {unit(KM.unit):~P}", SPECIES[species].label if species else "given"


def bsa_row(area, key: str | None, uncapped=None):
    """The BSA used and where it came from; capped, the BSA it was capped from (given, or by its formula)."""
    if area is None or key is None:
        return None
    source = "given" if key == GIVEN else BSA_METHODS[key].label
    if uncapped is not None and show_bsa(uncapped) != show_bsa(area):
        source = f"capped from {show_bsa(uncapped)} ({source})"
    return "BSA", show_bsa(area), source


def input_rows(inputs: dict[str, Input | None], described: dict, skip=(), labels=None) -> list:
    rows = [
        item.row((labels or {}).get(name, name))
        for name, item in inputs.items()
        if item is not None and name not in skip
    ]
    if "sex" in described:  # as typed beside the value read, as every other input ("F": female)
        sex = described["sex"]
        rows.append(("sex", sex["value"], "" if sex["given"] == sex["value"] else f"from {sex['given']}"))
    return rows
