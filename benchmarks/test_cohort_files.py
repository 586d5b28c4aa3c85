"""
Cohort files end to end: ``convert_file`` against a polars lazy pipeline
(``scan_csv``/``scan_parquet`` → the same columns by the same formula →
``sink_csv``/``sink_parquet``) on CSV → CSV and Parquet → Parquet, and the
peak memory of ``dosecalc cohort`` from 1e5 to 3e7 rows, for both formats.

The peer computes exactly dosecalc's output columns (Mosteller BSA, the dose
and its equivalents, the method's name), without any check; the data is
generated at run time, seeded: patient_id, height_cm, weight_lb.
``DOSECALC_BENCH_MAX_ROWS`` skips the sizes above it, for a short run on a
shared machine.
"""

import os
import resource
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from conftest import best_seconds

from dosecalc.cohort_io import convert_file

pl = pytest.importorskip("polars")

DOSE = "75 mg/m^2"
MiB = 1 << 20
MAX_ROWS = float(os.environ.get("DOSECALC_BENCH_MAX_ROWS", "inf"))
LB = 0.45359237  # kg per lb, exactly (international pound, 1959)


def sized(*rows):
    return [
        pytest.param(int(n), marks=pytest.mark.skipif(n > MAX_ROWS, reason=f"{n:.0e} rows > DOSECALC_BENCH_MAX_ROWS"))
        for n in rows
    ]


def write_cohort(path, rows, metres_every=None, seed=20110605):
    """A CSV or Parquet file of adults, height in cm and weight in lb; every ``metres_every``-th height in metres."""
    rng = np.random.default_rng(seed)
    height_cm = np.round(rng.normal(170.0, 10.0, rows).clip(140.0, 210.0), 1)
    if metres_every:
        height_cm[::metres_every] /= 100.0
    weight_lb = np.round(rng.normal(165.0, 35.0, rows).clip(90.0, 400.0), 1)
    patient_id = pa.array(np.char.add("P", np.arange(rows).astype("U8")))
    table = pa.table({"patient_id": patient_id, "height_cm": height_cm, "weight_lb": weight_lb})
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="none", quoting_header="none"))
    return path


def cpu_seconds(function):
    """The CPU time of ``function`` in this process, its threads' (pyarrow's, polars') included. [s]"""
    before = resource.getrusage(resource.RUSAGE_SELF)
    function()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def polars_pipeline(source, target):
    """The same output columns by the same formula (Mosteller 1987), lazily, with polars: the peer."""
    scan = pl.scan_parquet(source) if source.suffix == ".parquet" else pl.scan_csv(source)
    weight_kg = pl.col("weight_lb") * LB
    bsa_m2 = (pl.col("height_cm") * weight_kg / 3600.0).sqrt()
    query = scan.with_columns(
        bsa_m2=bsa_m2,
        dose_mg=75.0 * bsa_m2,
        dose_mg_per_m2=pl.lit(75.0),
        dose_mg_per_kg=75.0 * bsa_m2 / weight_kg,
        bsa_method=pl.lit("mosteller"),
    )
    (query.sink_parquet if target.suffix == ".parquet" else query.sink_csv)(target)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("rows", sized(3e6, 1e7))
def test_convert_file_vs_polars_lazy_pipeline(benchmark, tmp_path, report_ratio, suffix, rows):
    source = write_cohort(tmp_path / f"patients{suffix}", rows)
    ours, theirs = tmp_path / f"dosed{suffix}", tmp_path / f"polars{suffix}"
    # both write a new file each round, not over the last one
    summary = benchmark.pedantic(
        lambda: convert_file(source, ours, dose=DOSE), setup=lambda: ours.unlink(missing_ok=True), rounds=2
    )
    peer = best_seconds(lambda: (theirs.unlink(missing_ok=True), polars_pipeline(source, theirs)), repeat=2)
    kind = suffix[1:].upper()
    report_ratio(
        f"convert_file {rows:.0e} {kind} → {kind} / polars lazy pipeline", benchmark.stats["min"], peer, "≤ 1.0×"
    )
    # the work of each, on every core: the wall time's ratio on a machine of few cores is at least this one's share
    ours.unlink()
    work = cpu_seconds(lambda: convert_file(source, ours, dose=DOSE))
    theirs.unlink()
    report_ratio(
        f"  its CPU time {rows:.0e} {kind} / the pipeline's", work, cpu_seconds(lambda: polars_pipeline(source, theirs))
    )
    assert summary.rows_written == rows
    read = pq.read_table if suffix == ".parquet" else pcsv.read_csv
    mine, peers = read(ours), read(theirs)
    np.testing.assert_allclose(mine["dose_mg"].to_numpy(), peers["dose_mg"].to_numpy(), rtol=1e-15)


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
    suffix = source.suffix
    run = subprocess.run(
        [sys.executable, "-c", _PEAK, str(source), str(folder / f"dosed{suffix}"), str(folder / f"rejects{suffix}")],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(run.stdout.split()[-1])  # after the command's own summary


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("rows", sized(3e6, 3e7))
def test_peak_memory_flat(benchmark, tmp_path, report_ratio, suffix, rows):
    small = write_cohort(tmp_path / f"small{suffix}", 100_000, metres_every=1000)
    large = write_cohort(tmp_path / f"large{suffix}", rows, metres_every=1000)
    peak_small = peak_bytes(small, tmp_path)
    peak_large = benchmark.pedantic(peak_bytes, (large, tmp_path), rounds=1)
    benchmark.extra_info["peak_small_MiB"] = round(peak_small / MiB, 1)
    benchmark.extra_info["peak_large_MiB"] = round(peak_large / MiB, 1)
    report_ratio(
        f"peak RSS of cohort {suffix[1:]}: {rows:.0e} rows / 1e5 rows",
        peak_large / MiB,
        peak_small / MiB,
        "≤ 1.1×, ≤ 256 MiB",
        unit="MiB",
    )
    assert peak_large <= 256 * MiB
