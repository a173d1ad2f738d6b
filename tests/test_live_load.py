"""A short bounded version of the load test (benchmarks/live_load.py has the 200 x 60 s run):
viewers on the event stream while entries come in, every update delivered, no error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "live_load.py"


def load_module():
    spec = importlib.util.spec_from_file_location("live_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.long
def test_forty_viewers_for_three_seconds():
    row = load_module().measure_load(viewers=40, duration=3.0, interval=0.2)
    assert row["updates"] >= 10
    assert row["errors"] == 0, row["error_samples"]
    assert row["missing"] == 0 and row["deliveries"] == 40 * row["updates"]
    assert row["retry_ms"] == [1000]  # a page reconnects 1 s after a restart, not 3 s
    # no timing assertion in the unit suite: the delivery time is measured by
    # benchmarks/live_load.py (500 viewers, p99 and the server's memory reported)
