"""Plain loops (`python -m benchmarks.plain`), the harness's --plain-check, and the re-warm before
each timed sample that makes a worker's row match a plain loop (no timing asserts)."""
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import harness, runners
from benchmarks.harness import Case, SystemCase
from benchmarks.runners import CaseFailed, LocalRunner, plain_loop

REPO = Path(__file__).resolve().parents[2]
FLOOR = "numpy (hand)"  # the cheapest W2 row: no optional library needed


def run_plain(*args):
    return subprocess.run([sys.executable, "-m", "benchmarks.plain", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)


def test_plain_loop_prints_the_median_of_its_samples_as_json():
    proc = run_plain("W2", FLOOR, "--quick", "--samples", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["key"], out["system"], out["unit"]) == ("W2", FLOOR, "us/iter")
    assert len(out["times_s"]) == 3 and all(t > 0 for t in out["times_s"])
    assert out["median_s"] == statistics.median(out["times_s"])


def test_plain_loop_prints_one_line_in_the_workloads_unit():
    proc = run_plain("W2", FLOOR, "--quick", "--samples", "2")
    assert proc.returncode == 0, proc.stderr
    match = re.fullmatch(r"W2 / numpy \(hand\): median ([0-9.e+-]+) us/iter over 2 steps timed back to back\n",
                         proc.stdout)
    assert match and float(match.group(1)) > 0


def test_plain_loop_rejects_unknown_systems_and_sample_counts():
    unknown = run_plain("W2", "no such system", "--quick")
    assert unknown.returncode == 2 and "no system 'no such system'" in unknown.stderr
    assert run_plain("W2", FLOOR, "--samples", "0").returncode == 2


def test_plain_loop_runner_returns_the_samples_or_fails_clearly():
    times = plain_loop("W2", FLOOR, quick=True)
    assert len(times) == harness.find_workload("W2", quick=True).repeats
    with pytest.raises(CaseFailed) as failed:
        plain_loop("W2", "no such system", quick=True)
    assert failed.value.status == "plain loop failed" and "exit code 2" in failed.value.detail


# ---- the schedule of the plain loops between the harness's rounds ---------------------------------


@settings(max_examples=200, deadline=None)
@given(systems=st.integers(1, 12), rounds=st.integers(1, 40))
def test_every_row_gets_its_plain_loops_spread_over_the_rounds(systems, rounds):
    rows = [harness.Row(f"s{i}") for i in range(systems)]
    schedule = harness._plain_schedule(rows, rounds)
    runs = [row.system for r in sorted(schedule) for row in schedule[r]]
    per_row = 2 if rounds >= 2 * systems else 1
    assert sorted(runs) == sorted([row.system for row in rows] * per_row)
    assert set(schedule) <= set(range(rounds))
    if per_row * systems <= rounds:  # at most one plain loop between two rounds
        assert all(len(v) == 1 for v in schedule.values())


def test_the_table_gives_each_rows_median_over_its_plain_loops_median():
    wl = harness.Workload(key="T", title="test", unit="ms", unit_scale=1e3, cases=[], repeats=3, baselines=("b",))
    res = harness.Result(wl, [harness.Row("a", times=[2.0, 4.0, 6.0], plain=[1.0, 2.0, 5.0]),
                              harness.Row("b", times=[1.0], plain_error="plain loop failed: exit code 1: boom")])
    rows = harness.result_rows(res)
    column = rows[0].index("harness/plain")
    assert rows[1][column] == "2.00" and rows[2][column] == "failed"
    assert "plain loop failed" in rows[2][-1]
    as_json = harness.result_json(res)["rows"]
    assert as_json[0]["plain_median_s"] == 2.0 and as_json[1]["plain_times_s"] == []
    unchecked = harness.Result(wl, [harness.Row("a", times=[1.0])])
    assert "harness/plain" not in harness.result_rows(unchecked)[0]


def test_plain_check_needs_worker_processes():
    wl = harness.find_workload("W2", quick=True)
    with pytest.raises(ValueError, match="isolate"):
        harness.run_workload(wl, memory=False, plain_check=True)


def test_cli_plain_check_adds_a_column_and_the_plain_samples(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "W1b-1e3", "--quick", "--repeats", "2",
                           "--no-memory", "--plain-check", "--json", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "harness/plain" in proc.stdout
    rows = {r["system"]: r for r in json.loads(out.read_text())["workloads"][0]["rows"]}
    floor = rows["python floats (hand)"]
    assert len(floor["plain_times_s"]) == 2 and floor["plain_median_s"] > 0  # as many samples as the row
    assert floor["plain_error"] == ""
    assert rows["micrograd"]["plain_times_s"] == []  # failed in the harness: no plain loop
    line = next(line for line in proc.stdout.splitlines() if line.startswith("  python floats (hand)"))
    ratio = floor["median_s"] / floor["plain_median_s"]
    assert f"{ratio:.2f}" in line.split()


# ---- re-warming before each timed sample (runners.LocalRunner) -------------------------------------


class Counted(Case):
    """Counts its steps in a shared log under its own name; each step lasts at least `sleep_s`."""

    def __init__(self, name, log, sleep_s=0.0):
        self.name, self.log, self.sleep_s, self.n = name, log, sleep_s, 0

    def check(self):
        return 0.0

    def step(self):
        time.sleep(self.sleep_s)
        self.n += 1
        self.log.append(self.name)
        return float(self.n)


def test_rewarm_runs_the_same_case_untimed_for_a_while_before_each_timed_step():
    log = []
    runner = LocalRunner(SystemCase("c", lambda: Counted("c", log, sleep_s=0.005)), rewarm="same")
    runner.start(warmup=1)
    for _ in range(3):
        before = len(log)
        _, out = runner.step()
        steps = len(log) - before
        # each step sleeps >= 5 ms, so REWARM_S = 20 ms of warming takes 1 to 4 untimed steps
        assert 2 <= steps <= 1 + int(runners.REWARM_S / 0.005)
        assert out == float(len(log))  # the timed step is the last one


def test_twin_rewarm_leaves_the_timed_case_with_exactly_its_steps():
    log = []
    names = iter(["timed", "twin"])
    runner = LocalRunner(SystemCase("c", lambda: Counted(next(names), log, sleep_s=0.005)), rewarm="twin")
    runner.start(warmup=1)
    outs = [runner.step()[1] for _ in range(3)]
    assert outs == [2.0, 3.0, 4.0]  # warm-up, then the three timed steps: no extra steps in between
    assert log.count("timed") == 4 and log.count("twin") >= 1 + 3  # its warm-up and >= 1 step per sample


def test_no_rewarm_before_the_first_step_nor_for_long_steps(monkeypatch):
    log = []
    runner = LocalRunner(SystemCase("c", lambda: Counted("c", log)), rewarm="same")
    runner.start(warmup=0)
    assert runner.step()[1] == 1.0 and log == ["c"]  # a workload without warm-up times its first run
    monkeypatch.setattr(runners, "REWARM_MAX_S", 0.0)  # every step now counts as long
    runner.step()
    assert len(log) == 2


def test_without_rewarm_a_step_is_one_step():
    log = []
    runner = LocalRunner(SystemCase("c", lambda: Counted("c", log)))
    runner.start(warmup=2)
    runner.step()
    assert len(log) == 3


def test_rewarm_mode_is_checked():
    with pytest.raises(ValueError, match="rewarm"):
        LocalRunner(SystemCase("c", Case), rewarm="yes")
