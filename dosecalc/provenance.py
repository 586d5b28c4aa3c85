"""
Provenance: what a cohort run was, travelling with what it wrote.

:func:`run_record` builds one plain record of a run: dosecalc's version, the
command and options, the formulas used with their references, each input's
SHA-256, the row counts, the rejected rows counted by class of reason, and
the time. The file drivers write it into a Parquet file's key-value metadata
(key :data:`METADATA_KEY`) and, for CSV, into a sidecar beside the file
(``dosed.csv`` → ``dosed.csv.json``); ``--json`` prints it.

:func:`reason_class` turns a reject's reason into its class by dropping the
values and the hints: ``"height_cm=1.68 cm: expected 20-280 cm; did you mean
1.68 m?"`` is of class ``"height_cm: expected 20-280 cm"``, so a million rows
rejected for one cause count as one line.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import threading
from collections import Counter
from pathlib import Path

from ._version import __version__
from .grammar import NUMBER_SLIPS

__all__ = [
    "METADATA_KEY",
    "run_record",
    "reason_class",
    "Digest",
    "formulas_of",
    "order_formulas",
    "top_reasons",
    "protocol_record",
]

#: The key of a Parquet file's key-value metadata that holds the run record (JSON).
METADATA_KEY = "dosecalc.provenance"
_HINT = re.compile(rf"; (?:did you mean|was the|were |{'|'.join(re.escape(slip) for slip in NUMBER_SLIPS)})[^;]*")
_VALUE = re.compile(r"=(?:'[^']*'|[^:;=]*?)(?=: | is )")


def reason_class(reason: str) -> str:
    """
    A reason without its values and hints, as the rejects are counted.

    Examples
    --------
    >>> reason_class("height_cm=1.68 cm: expected 20-280 cm; did you mean 1.68 m?")
    'height_cm: expected 20-280 cm'
    >>> reason_class("weight_lb='n/a': expected a number")
    'weight_lb: expected a number'
    >>> reason_class("height_cm='-172.0': expected a number; a measurement has no sign; weight_lb is missing")
    'height_cm: expected a number; weight_lb is missing'
    >>> reason_class("weight_lb is missing")
    'weight_lb is missing'
    """
    return _VALUE.sub("", _HINT.sub("", reason))


def reasons_by_class(reasons) -> Counter:
    """The rows of a column of reasons (Arrow), counted by :func:`reason_class`."""
    import pyarrow.compute as pc

    counted: Counter = Counter()
    for item in pc.value_counts(reasons).to_pylist():
        counted[reason_class(item["values"])] += item["counts"]
    return counted


def top_reasons(counts: dict, number: int = 3) -> list[tuple[str, int]]:
    """The ``number`` most common classes of reason, most common first (ties by name)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:number]


class Digest:
    """The SHA-256 of files, computed one after another in a thread beside the run (hashlib releases the GIL)."""

    def __init__(self, paths):
        self.paths, self._hex = [Path(path) for path in paths], []
        self._thread = threading.Thread(target=self._compute, daemon=True)
        self._thread.start()

    def _compute(self) -> None:
        for path in self.paths:
            digest = hashlib.sha256()
            with path.open("rb") as file:
                while block := file.read(1 << 20):
                    digest.update(block)
            self._hex.append(digest.hexdigest())

    @property
    def hexdigests(self) -> list[str]:
        """Each file's SHA-256, in hex, once all are computed."""
        self._thread.join()
        return self._hex


def formulas_of(method: str | None, weight_basis: str | None) -> list[dict]:
    """The formulas a run used, each with its label and reference."""
    from .body import WEIGHT_BASES, weight_basis_key
    from .bsa import BSA_METHODS, bsa_method

    used = []
    if method is not None:
        entry = BSA_METHODS[bsa_method(method)]
        used.append(
            {
                "name": bsa_method(method),
                "kind": "body surface area",
                "label": entry.label,
                "reference": entry.reference,
            }
        )
    if weight_basis is not None:
        key = weight_basis_key(weight_basis)
        basis = WEIGHT_BASES[key]
        used.append({"name": key, "kind": "dosing weight", "label": basis.label, "reference": basis.reference})
    return used


def _kidney_formula(key: str, kind: str) -> dict:
    from .renal import RENAL_FORMULAS

    entry = RENAL_FORMULAS[key]
    return {"name": key, "kind": kind, "label": f"{entry.label}: {entry.equation}", "reference": entry.reference}


def order_formulas(orders, method: str, kidney_function: str | None = None) -> list[dict]:
    """
    The formulas that computed the doses of ``orders`` (an order, or a
    protocol's), each once, with its label and reference: the BSA by
    ``method`` where a dose is per m² or a GFR is de-indexed by the BSA
    (CKD-EPI 2021, bedside Schwartz), the dosing weight where a dose is per
    kg or Cockcroft-Gault weighs the patient, carboplatin's Calvert formula
    with its GFR policy and the policy's estimate (used where no GFR is
    measured), and the estimate ``kidney_function`` adds.
    """
    from .carboplatin import CALVERT_1989, CARBOPLATIN_POLICIES
    from .renal import RENAL_FORMULAS, renal_formula_key

    used: dict[tuple[str, str], dict] = {}
    estimates = []
    for order in orders:
        per_area, weighed = "m**2" in order.basis, "/kg" in order.basis
        if order.is_auc:
            policy = CARBOPLATIN_POLICIES[order.policy]
            calvert = "dose [mg] = AUC [mg/mL·min] × (GFR [mL/min] + 25)"
            used.setdefault(
                ("dose", "calvert"),
                {"name": "calvert", "kind": "carboplatin dose", "label": calvert, "reference": CALVERT_1989},
            )
            used.setdefault(
                ("policy", order.policy),
                {
                    "name": order.policy,
                    "kind": "carboplatin GFR policy",
                    "label": policy.label,
                    "reference": policy.reference,
                },
            )
            estimates.append((order.formula, "kidney function where no GFR is measured", order.weight_basis))
        formulas = formulas_of(method if per_area else None, order.weight_basis if weighed else None)
        for entry in formulas:
            used.setdefault((entry["kind"], entry["name"]), entry)
    if kidney_function is not None:
        estimates.append((renal_formula_key(kidney_function), "kidney function", "actual"))
    for key, kind, weight_basis in estimates:
        used.setdefault((kind, key), _kidney_formula(key, kind))
        formula = RENAL_FORMULAS[key]
        for entry in formulas_of(
            None if formula.needs_weight else method, weight_basis if formula.needs_weight else None
        ):
            used.setdefault((entry["kind"], entry["name"]), entry)
    return list(used.values())


def protocol_record(protocol, cycles: int | None) -> dict:
    """
    A protocol as a run used it: its name, the file it was read from, the
    cycles planned, each order (:meth:`dosecalc.Order.to_dict`) with its
    days, and ``sha256``, the SHA-256 of the rest as JSON with sorted keys
    (UTF-8), so two runs by the same protocol carry the same digest.
    """
    record = {
        "name": protocol.name,
        "source": protocol.source,
        "cycle_days": protocol.cycle_days,
        "cycles": cycles,
        "orders": [{"days": _plain(item.days), **_plain(item.order.to_dict())} for item in protocol.orders],
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return {**record, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def _plain(value):
    """An option as JSON: numbers, text, lists and mappings as they are, anything else as its text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(getattr(value, "source", value))


def run_record(
    *,
    command: str | None,
    options: dict,
    inputs: list[tuple[str, str | None]],
    rows: dict,
    reasons: dict,
    started: datetime.datetime,
    seconds: float,
    formulas: list[dict],
) -> dict:
    """
    The record of a run: plain data for JSON, Parquet metadata and a sidecar.

    Parameters
    ----------
    command : str or None
        The command line, if the run came from one.
    options : dict
        The options of the run, as given (a band table by its source).
    inputs : list of (path, sha256)
        Each input file and its SHA-256 (None for stdin).
    rows : dict
        ``rows_read``, ``rows_written``, ``rows_rejected``.
    reasons : dict
        Rejected rows by class of reason (:func:`reason_class`).
    started : datetime
        When the run started, in UTC.
    seconds : float
        How long it took. [s]
    formulas : list of dict
        The formulas used (:func:`formulas_of`).
    """
    return {
        "dosecalc_version": __version__,
        "command": command,
        "options": _plain({key: value for key, value in options.items() if value is not None}),
        "formulas": formulas,
        "inputs": [{"path": path, "sha256": sha256} for path, sha256 in inputs],
        **rows,
        "rejects_by_reason": dict(top_reasons(reasons, len(reasons))),
        "started": started.astimezone(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": seconds,
    }
