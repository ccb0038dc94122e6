"""`python -m bench.open_book` at a smoke size: the whole run (dev server, ledger, two worker
processes, two bursts, the polling baseline) finishes and prints its table with sane values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_r_sla_4_open_book_smoke(tmp_path: Path) -> None:
    """R-SLA-4: every breach of a burst is recorded by the workflows, in the ledger and in the
    list query, with both workers; the polling baseline records them within its period."""
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.open_book",
            "--count",
            "40",
            "--lead",
            "1",
            "--poll-every",
            "1",
            "--default-cache",
            "10",
            "--timeout",
            "20",
            "--scratch",
            str(tmp_path),
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "open book: N = 40 open complaints, K = 4" in out
    assert "| recorded in | p50 s | p99 s | max s |" in out
    assert out.count("workflows: ledger row") == 2
    assert out.count("polling every 1 s: ledger row") == 2
    data = json.loads(figures.read_text())
    assert data["rate"] > 1
    assert 0 < data["kb_per_cached_case"] < 5_000
    assert 0 < data["db_kb_per_case"] < 5_000
    for label in ("recommended", "default"):
        burst = data["bursts"][label]
        assert burst["missing"] == 0
        p50, p99, top = burst["ledger"]
        assert 0 <= p50 <= p99 <= top < 20
        assert 0 <= burst["listed"][2] < 20
        assert 0 <= burst["polled"][2] < 1 + 3  # within its period, plus its query
        assert burst["cpu_ms_per_case"]["worker"] > 0
    # The floor: as many bare alarms at one instant, on the same worker and server.
    assert "a bare alarm" in out
    assert data["floor"]["missing"] == 0
    assert 0 <= data["floor"]["closed"][0] <= data["floor"]["closed"][2] < 20
    assert data["floor"]["cpu_ms_per_case"]["server"] > 0
