"""
Docstrings hold their equations as written: no control character from a
backslash that Python read as an escape (``\\frac`` as a form feed, ``\\times``
and ``\\tau`` as a tab, ``\\beta`` as a backspace) in a docstring that is not raw.
A line of ``\\b`` (keep the next paragraph's lines) or ``\\f`` (end of the help)
alone is click's own marker in a command's help, and is allowed.
"""

import importlib
import inspect
import pkgutil

import pytest

import dosecalc

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(dosecalc.__path__, "dosecalc.")
    if not info.name.rsplit(".", 1)[-1].startswith("_")
)


CLICK_MARKERS = {"\b", "\f"}


def _docstrings(module):
    yield module.__name__, module.__doc__
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield f"{module.__name__}.{name}", obj.__doc__
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod)):
                    yield f"{module.__name__}.{name}.{member}", getattr(value, "__doc__", None)


@pytest.mark.parametrize("name", MODULES)
def test_docstrings_have_no_control_characters(name):
    module = importlib.import_module(name)
    found = [
        (where, repr(char))
        for where, doc in _docstrings(module)
        if doc
        for line in doc.split("\n")
        if line.strip() not in CLICK_MARKERS
        for char in set(line)
        if ord(char) < 0x20
    ]
    assert not found, f'{found}: make the docstring raw (r"""...""")'
