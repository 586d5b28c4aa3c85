"""The README's and the docstrings' examples run and print what they show."""

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = [
    "units",
    "bsa",
    "conversions",
    "patient",
    "regimen",
    "body",
    "renal",
    "carboplatin",
    "adjustments",
    "results",
]


def test_readme_examples():
    failures, tried = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"dosecalc.{name}")
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
