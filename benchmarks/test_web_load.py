"""
A bounded load on ``dosecalc serve`` over loopback: 2,000 requests from 20
concurrent clients (keep-alive connections) against the server started as
a user starts it (``serve(port=…)`` in its own process, on 127.0.0.1), after
500 requests of warm-up.

Nine in ten requests are a dose (checked against the in-process answer), one
in ten a bad height (a 422 naming the field): every answer must be the one
expected, no request may fail, and the server's resident memory after the
2,000 may exceed that after the warm-up by at most 8 MiB (no growth per
request). Reported against the same dose computed in-process through the
command's ``--json`` capture (the floor): p50 and p99 latency (which on a
shared 2-core machine include the clients' own time) and the server's CPU
time per request; and the p50 of 200 requests from one client (no queue).
"""

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import best_seconds

httpx = pytest.importorskip("httpx")
psutil = pytest.importorskip("psutil")
pytest.importorskip("uvicorn")

REQUESTS = 2_000
WARM_UP = 500
CLIENTS = 20
ALONE = 200  # requests of one client after the load: the latency without a queue
GOOD = {"dose": "75 mg/m2", "height": "175 cm", "weight": "70 kg"}
BAD = {"dose": "75 mg/m2", "height": "1.75 cm", "weight": "70 kg"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", f"from dosecalc.web import serve; serve(port={port})"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("dosecalc serve did not start")
        time.sleep(0.1)
    yield base, psutil.Process(process.pid)
    process.terminate()
    process.wait(10)


def _expected():
    from dosecalc.cli.dose import dose_command
    from dosecalc.cli.output import captured

    def dose():
        with captured() as payloads:
            dose_command(**GOOD, as_json=True)
        return payloads[0]

    return dose, dose()


async def _load(base: str, count: int, good: dict, clients: int = CLIENTS) -> list[float]:
    """``count`` requests from ``clients`` workers; each answer checked; the latencies in s."""
    latencies: list[float] = []
    remaining = iter(range(count))

    async def worker(client):
        for number in remaining:
            bad = number % 10 == 9
            started = time.perf_counter()
            response = await client.post("/api/dose", json=BAD if bad else GOOD)
            latencies.append(time.perf_counter() - started)
            if bad:
                assert response.status_code == 422 and response.json()["field"] == "height", response.text
            else:
                assert response.status_code == 200 and response.json() == good, response.text

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    assert len(latencies) == count
    return latencies


def test_web_load(benchmark, server, report_ratio):
    base, process = server
    dose, good = _expected()
    asyncio.run(_load(base, WARM_UP, good))
    before = process.memory_info().rss
    cpu_before = sum(process.cpu_times()[:2])
    latencies = []

    def run():
        latencies.extend(asyncio.run(_load(base, REQUESTS, good)))

    benchmark.pedantic(run, rounds=1, iterations=1)
    after = process.memory_info().rss
    cpu = (sum(process.cpu_times()[:2]) - cpu_before) / REQUESTS
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    one = sorted(asyncio.run(_load(base, ALONE, good, clients=1)))
    floor = best_seconds(dose, repeat=50)
    report_ratio("web /api/dose p50, 1 client / in-process dose --json", one[len(one) // 2], floor)
    report_ratio(f"web /api/dose p50, {CLIENTS} clients / in-process dose --json", p50, floor)
    report_ratio(f"web /api/dose p99, {CLIENTS} clients / in-process dose --json", p99, floor)
    report_ratio("server CPU per request / in-process dose --json", cpu, floor)
    report_ratio(
        "server RSS after 2,000 requests / after warm-up", after / 2**20, before / 2**20, "≤ +8 MiB", unit="MiB"
    )
    benchmark.extra_info.update(
        {
            "requests": REQUESTS,
            "clients": CLIENTS,
            "p50_ms": round(p50 * 1e3, 2),
            "p99_ms": round(p99 * 1e3, 2),
            "p50_one_client_ms": round(one[len(one) // 2] * 1e3, 2),
            "server_cpu_ms": round(cpu * 1e3, 2),
            "rss_before_mib": round(before / 2**20, 1),
            "rss_after_mib": round(after / 2**20, 1),
            "requests_per_s": round(REQUESTS / benchmark.stats["min"], 1),
            "cpus": os.cpu_count(),
        }
    )
    assert after - before <= 8 * 2**20
