"""
Start-up of a one-off lookup: ``dosecalc bsa --height 175cm --weight 70kg`` run
as a subprocess, against ``python -c "import pint, typer"`` measured in the same
run (aim ≤ 1.5×).

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


def _warmed(command, env):
    def run():
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)

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
