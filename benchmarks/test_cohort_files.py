"""
Cohort files end to end: ``convert_file`` on a 3e6-row CSV against the
output-shape floor, and the peak memory of ``dosecalc cohort`` on 1e7 rows.

The floor reads the same input with pyarrow and dosecalc's CSV options
(every column as text, quoted line breaks allowed) and writes, with its
CSV options, a table of exactly dosecalc's output columns, precomputed: the
same bytes, without the engine.
The data is generated at run time, seeded: patient_id, height_cm, weight_lb.
"""

import filecmp
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from conftest import best_seconds

from dosecalc.cohort import OUTPUT_COLUMNS, convert_file, dose_table
from dosecalc.cohort_io import CSV_PARSE_OPTIONS, CSV_WRITE_OPTIONS

DOSE = "75 mg/m^2"
MiB = 1 << 20


def write_cohort(path, rows, metres_every=None, seed=20110605):
    """A CSV of adults, height in cm and weight in lb; every ``metres_every``-th height in metres."""
    rng = np.random.default_rng(seed)
    height_cm = np.round(rng.normal(170.0, 10.0, rows).clip(140.0, 210.0), 1)
    if metres_every:
        height_cm[::metres_every] /= 100.0
    weight_lb = np.round(rng.normal(165.0, 35.0, rows).clip(90.0, 400.0), 1)
    patient_id = pa.array(np.char.add("P", np.arange(rows).astype("U8")))
    table = pa.table({"patient_id": patient_id, "height_cm": height_cm, "weight_lb": weight_lb})
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="none", quoting_header="none"))
    return path


def read_as_text(path):
    with pcsv.open_csv(path) as peek:
        names = peek.schema.names
    convert_options = pcsv.ConvertOptions(column_types={name: pa.string() for name in names})
    return pcsv.read_csv(path, parse_options=CSV_PARSE_OPTIONS, convert_options=convert_options)


def test_convert_file_vs_pyarrow_read_and_write(benchmark, tmp_path, report_ratio):
    source = write_cohort(tmp_path / "patients.csv", 3_000_000)
    ours, floor_path = tmp_path / "dosed.csv", tmp_path / "floor.csv"
    added = dose_table(read_as_text(source), DOSE).dosed.select(list(OUTPUT_COLUMNS))

    def floor():
        table = read_as_text(source)
        for name in OUTPUT_COLUMNS:
            table = table.append_column(name, added[name])
        pcsv.write_csv(table, floor_path, CSV_WRITE_OPTIONS)

    # both write a new file each round, not over the last one
    summary = benchmark.pedantic(lambda: convert_file(source, ours, dose=DOSE), setup=lambda: ours.unlink(missing_ok=True), rounds=3)
    floor_seconds = best_seconds(lambda: (floor_path.unlink(missing_ok=True), floor()), repeat=3)
    report_ratio("convert_file 3e6-row CSV / pyarrow read + write", benchmark.stats["min"], floor_seconds, "≤ 1.3×")
    benchmark.extra_info["rows_per_s"] = round(summary.rows_read / benchmark.stats["min"])
    assert summary.rows_written == 3_000_000
    assert filecmp.cmp(ours, floor_path, shallow=False)  # the floor writes exactly dosecalc's output


# run in a child: its own peak, read from /proc (a child's ru_maxrss can be its parent's)
_PEAK = textwrap.dedent(
    """
    import sys
    from dosecalc.cli import app
    try:
        app(["cohort", sys.argv[1], "-o", sys.argv[2], "--dose", "75mg/m2", "--rejects", sys.argv[3]])
    except SystemExit as done:
        assert done.code in (0, 3), done.code
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    print(int(status["VmHWM"].split()[0]) * 1024)
    """
)


def peak_bytes(source, folder):
    run = subprocess.run(
        [sys.executable, "-c", _PEAK, str(source), str(folder / "dosed.csv"), str(folder / "rejects.csv")],
        capture_output=True, text=True, check=True,
    )
    return int(run.stdout.split()[-1])  # after the command's own summary


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_peak_memory_bounded(benchmark, tmp_path, report_ratio):
    small = write_cohort(tmp_path / "1e6.csv", 1_000_000, metres_every=1000)
    large = write_cohort(tmp_path / "1e7.csv", 10_000_000, metres_every=1000)
    peak_small = peak_bytes(small, tmp_path)
    peak_large = benchmark.pedantic(peak_bytes, (large, tmp_path), rounds=1)
    benchmark.extra_info["peak_1e6_MiB"] = round(peak_small / MiB, 1)
    benchmark.extra_info["peak_1e7_MiB"] = round(peak_large / MiB, 1)
    report_ratio("peak RSS of cohort: 1e7 rows / 1e6 rows", peak_large / MiB, peak_small / MiB,
                 "≤ 1.2×, 1e7 ≤ 256 MiB", unit="MiB")
    assert peak_large <= 256 * MiB
