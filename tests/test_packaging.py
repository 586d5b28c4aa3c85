"""
What a built wheel and source distribution hold: the licence, the type marker,
the metadata a Python user reads before depending on dosecalc, and, in the
source distribution, everything the test suite and the docs build need.

Both are built once per session from this checkout (``pip wheel`` and
``python -m build --sdist``, each in an isolated build environment).
"""

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import dosecalc

ROOT = Path(__file__).resolve().parents[1]
SUPPORTED_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _build(command, out: Path, suffix: str) -> Path:
    done = subprocess.run([sys.executable, *command, str(out), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob(f"dosecalc-*{suffix}")
    return built


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    built = _build(
        ["-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir"], tmp_path_factory.mktemp("wheel"), ".whl"
    )
    with zipfile.ZipFile(built) as archive:
        yield archive


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> dict[str, bytes]:
    pytest.importorskip("build")
    built = _build(["-m", "build", "--sdist", "--outdir"], tmp_path_factory.mktemp("sdist"), ".tar.gz")
    with tarfile.open(built) as archive:
        # names below the archive's top folder, dosecalc-<version>/
        return {
            member.name.split("/", 1)[1]: archive.extractfile(member).read()
            for member in archive.getmembers()
            if member.isfile()
        }


def _metadata(wheel: zipfile.ZipFile):
    return Parser().parsestr(wheel.read(f"dosecalc-{dosecalc.__version__}.dist-info/METADATA").decode("utf-8"))


def test_wheel_holds_the_licence_text(wheel):
    licence = wheel.read(f"dosecalc-{dosecalc.__version__}.dist-info/licenses/LICENSE")
    assert licence == (ROOT / "LICENSE").read_bytes()
    assert b"BSD 3-Clause License" in licence and b"dosecalc developers" in licence


def test_wheel_declares_its_types(wheel):
    assert "dosecalc/py.typed" in wheel.namelist()


def test_wheel_holds_the_package_and_nothing_else(wheel):
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert tops == {"dosecalc", f"dosecalc-{dosecalc.__version__}.dist-info"}
    assert "dosecalc/__init__.py" in wheel.namelist() and "dosecalc/json_models.py" in wheel.namelist()


def test_wheel_holds_every_shipped_protocol_and_table(wheel):
    # an installed dosecalc finds its protocol library and the data its checks read, not only a checkout does
    shipped = {path.relative_to(ROOT).as_posix() for path in (ROOT / "dosecalc" / "data").rglob("*") if path.is_file()}
    assert "dosecalc/data/protocols/r-chop-21.toml" in shipped and "dosecalc/data/who_height_for_age.csv" in shipped
    assert shipped <= set(wheel.namelist())
    for name in shipped:
        assert wheel.read(name) == (ROOT / name).read_bytes()


def test_wheel_metadata(wheel):
    metadata = _metadata(wheel)
    assert metadata["Name"] == "dosecalc" and metadata["Version"] == dosecalc.__version__
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.10"
    classifiers = metadata.get_all("Classifier")
    for version in SUPPORTED_PYTHONS:
        assert f"Programming Language :: Python :: {version}" in classifiers
    labels = {url.split(",")[0].strip().lower() for url in metadata.get_all("Project-URL") or []}
    assert {"documentation", "source", "changelog"} <= labels


def test_wheel_entry_point(wheel):
    entry_points = wheel.read(f"dosecalc-{dosecalc.__version__}.dist-info/entry_points.txt").decode("utf-8")
    assert "dosecalc = dosecalc.cli:app" in entry_points


@pytest.mark.parametrize(
    "name",
    [
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "dosecalc/py.typed",
        "schemas/dose.schema.json",
        "schemas/error.schema.json",
        "tools/make_schemas.py",
        "docs/conf.py",
        "docs/index.rst",
        "docs/guide/lookups.rst",
        "tests/test_schemas.py",
    ],
)
def test_sdist_holds(sdist, name):
    assert name in sdist
    assert sdist[name] == (ROOT / name).read_bytes()


def test_sdist_holds_every_schema(sdist):
    assert {name for name in sdist if name.startswith("schemas/")} == {
        f"schemas/{path.name}" for path in (ROOT / "schemas").glob("*.schema.json")
    }


def test_sdist_leaves_out_what_a_build_writes(sdist):
    left_in = [name for name in sdist if name.startswith(("docs/_build/", "docs/api/")) or "__pycache__" in name]
    assert not left_in, left_in[:5]
