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
    """Record ``measured / floor`` under ``name``, with the aim; ``unit`` "s" or e.g. "MiB"."""

    def report(name, measured, floor, aim=None, unit="s"):
        ratio = measured / floor
        benchmark.extra_info[name] = round(ratio, 3)
        _RATIOS.append((name, measured, floor, ratio, aim, unit))
        return ratio

    return report


def pytest_terminal_summary(terminalreporter):
    if not _RATIOS:
        return
    terminalreporter.section("dosecalc ratios (measured / floor, same run)")
    for name, measured, floor, ratio, aim, unit in _RATIOS:
        aim_text = f"  (aim {aim})" if aim else ""
        if unit == "s":  # seconds are shown in ms
            measured, floor, unit = measured * 1e3, floor * 1e3, "ms"
        terminalreporter.write_line(
            f"{name:<58} {measured:10.3f} {unit} / {floor:10.3f} {unit} = {ratio:8.2f}×{aim_text}"
        )
