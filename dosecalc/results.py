"""
Results as plain data, the one shape of ``to_dict()`` and of ``--json``.

Every result of dosecalc is a small frozen dataclass of quantities, names and
flags; :func:`plain` turns each value into JSON-ready data the same way: a
quantity becomes ``{"value", "unit"}``, numpy scalars and arrays become Python
numbers, booleans and lists.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

__all__ = ["Result", "plain", "scalar_or_array"]


def plain(value):
    """Return ``value`` as JSON-ready data (quantities as ``{"value", "unit"}``)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "m_as"):
        return {"value": np.asarray(value.magnitude).tolist(), "unit": f"{value.units:~P}"}
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


def scalar_or_array(values):
    """A 0-d array or numpy scalar as a Python scalar, an array as it is."""
    values = np.asarray(values)
    return values.item() if values.ndim == 0 else values


class Result:
    """Mixin for result dataclasses: :meth:`to_dict` of every field."""

    def to_dict(self) -> dict:
        """Plain data for JSON: each quantity as ``{"value", "unit"}``."""
        return {field.name: plain(getattr(self, field.name)) for field in fields(self)}  # type: ignore[arg-type]
