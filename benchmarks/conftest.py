"""
Shared helpers for the benchmarks: each figure is a ratio against a floor
measured in the same process, in the same run.

Run with ``pytest benchmarks/ --benchmark-only`` (``testpaths`` keeps them out
of the test suite). The ratios are printed at the end and stored in each
benchmark's ``extra_info``.
"""

import timeit

import pytest

_RATIOS = []


def best_seconds(function, repeat=7, number=1):
    """Best wall time of ``function`` over ``repeat`` runs: the floor's figure."""
    return min(timeit.repeat(function, repeat=repeat, number=number)) / number


@pytest.fixture
def report_ratio(benchmark):
    """Record ``measured / floor`` (seconds) under ``name``, with the aim."""

    def report(name, measured_s, floor_s, aim=None, unit="×"):
        ratio = measured_s / floor_s
        benchmark.extra_info[name] = round(ratio, 3)
        _RATIOS.append((name, measured_s, floor_s, ratio, aim))
        return ratio

    return report


def pytest_terminal_summary(terminalreporter):
    if not _RATIOS:
        return
    terminalreporter.section("dosecalc ratios (measured / floor, same run)")
    for name, measured_s, floor_s, ratio, aim in _RATIOS:
        aim_text = f"  (aim {aim})" if aim else ""
        terminalreporter.write_line(
            f"{name:<58} {measured_s * 1e3:10.3f} ms / {floor_s * 1e3:10.3f} ms = {ratio:8.2f}×{aim_text}"
        )
