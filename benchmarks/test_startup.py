"""
Start-up of a one-off lookup: ``dosecalc bsa --height 175cm --weight 70kg`` run
as a subprocess, against ``python -c "import pint, typer"`` measured in the same
run (aim ≤ 1.5×); and ``dosecalc cohort`` on the 36-row sample
(``examples/cohort.csv``) against that lookup (aim ≤ 1.3×).

Both commands run with bytecode cached in a temporary folder
(``PYTHONPYCACHEPREFIX``), as an installed package runs from compiled
bytecode; under ``PYTHONDONTWRITEBYTECODE`` dosecalc would be recompiled at
every start while pint and typer are read compiled. Each command runs once
before timing to fill that cache.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import best_seconds

LOOKUP = ["bsa", "--height", "175cm", "--weight", "70kg"]


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    return env


def _warmed(command, env, codes=(0,)):
    def run():
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert done.returncode in codes, done.returncode

    run()
    return run


def test_startup_bsa_lookup(benchmark, environment, report_ratio):
    script = shutil.which("dosecalc") or str(Path(sys.executable).with_name("dosecalc"))
    lookup = _warmed([script, *LOOKUP], environment)
    floor = _warmed([sys.executable, "-c", "import pint, typer"], environment)
    benchmark.pedantic(lookup, rounds=15)
    floor_s = best_seconds(floor, repeat=15)
    report_ratio("dosecalc bsa start-up / python -c 'import pint, typer'", benchmark.stats["min"], floor_s, "≤ 1.5×")
    benchmark.extra_info["lookup_ms"] = round(benchmark.stats["min"] * 1e3, 1)
    benchmark.extra_info["floor_ms"] = round(floor_s * 1e3, 1)


def test_startup_cohort_sample(benchmark, environment, report_ratio, tmp_path):
    script = shutil.which("dosecalc") or str(Path(sys.executable).with_name("dosecalc"))
    sample = Path(__file__).parents[1] / "examples" / "cohort.csv"
    output = tmp_path / "dosed.csv"
    # the sample holds rows that are rejected on purpose: exit 3
    cohort = _warmed([script, "cohort", str(sample), "-o", str(output), "--dose", "75mg/m2"], environment, (3,))
    lookup = _warmed([script, *LOOKUP], environment)
    benchmark.pedantic(cohort, rounds=10)
    lookup_s = best_seconds(lookup, repeat=10)
    report_ratio("dosecalc cohort on the 36-row sample / dosecalc bsa", benchmark.stats["min"], lookup_s, "≤ 1.3×")
    assert output.read_text().count("\n") > 1
