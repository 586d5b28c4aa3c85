"""Sphinx configuration of the dosecalc documentation.

Build with warnings as errors::

    python -m sphinx -E -W --keep-going -b html docs docs/_build/html

The API reference (``docs/api/``) is written here, at every build, from the
package itself: one page per public module, each object documented once, in
the module that defines it.
"""

from __future__ import annotations

import inspect
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the checkout's package, not another version installed elsewhere
sys.path.insert(0, str(HERE.parent))

import dosecalc  # noqa: E402

project = "dosecalc"
author = "dosecalc developers"
copyright = "2026, dosecalc developers"
release = dosecalc.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"dosecalc {release}"
html_theme_options = {"description": "Unit-aware oncology dosing", "fixed_sidebar": True}

# numpydoc renders Parameters, Returns, Raises and References; the members of a
# class are documented by autodoc, so numpydoc does not list them again
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
autosummary_generate = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections say the types, in words
# the shells are documented in the user guide, not as an API
SHELLS = {"cli", "web"}

API = HERE / "api"


def public_modules() -> list[str]:
    """Every public module of the package, in alphabetical order."""
    found = pkgutil.iter_modules(dosecalc.__path__)
    return sorted(
        f"dosecalc.{info.name}" for info in found if not info.name.startswith("_") and info.name not in SHELLS
    )


def write_api() -> None:
    """Write ``api/index.rst`` and one page per module (only when the text changes)."""
    API.mkdir(exist_ok=True)
    pages = {}
    top = []
    for name in dosecalc.__all__:
        obj = getattr(dosecalc, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            top.append(f"   ~{obj.__module__}.{obj.__qualname__}")
    modules = public_modules()
    pages["index"] = "\n".join(
        [
            "API reference",
            "=============",
            "",
            "The functions and classes of ``import dosecalc``, then every public module.",
            "Each object is documented in the module that defines it.",
            "",
            ".. autosummary::",
            "",
            *top,
            "",
            "Modules",
            "-------",
            "",
            ".. autosummary::",
            "",
            *(f"   {module}" for module in modules),
            "",
            ".. toctree::",
            "   :hidden:",
            "",
            *(f"   {module}" for module in modules),
            "",
        ]
    )
    for module in modules:
        title = f"``{module}``"
        pages[module] = "\n".join([title, "=" * len(title), "", f".. automodule:: {module}", ""])
    for name, text in pages.items():
        path = API / f"{name}.rst"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in set(API.glob("*.rst")) - {API / f"{name}.rst" for name in pages}:
        stale.unlink()


def setup(app):
    write_api()
