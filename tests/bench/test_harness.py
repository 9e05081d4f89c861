"""The benchmark harness: alternation, failure reporting, check agreement, memory, table, CLI."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import harness
from benchmarks.harness import Case, SystemCase, Workload
from benchmarks.runners import CaseFailed, WorkerRunner

REPO = Path(__file__).resolve().parents[2]


class Recorder(Case):
    """Appends its name to a shared log at every step; check value given."""

    def __init__(self, name, log, check=1.0):
        self.name, self.log, self._check = name, log, check

    def check(self):
        return self._check

    def step(self):
        self.log.append(self.name)


class Boom(Case):
    def step(self):
        raise RecursionError("maximum recursion depth exceeded")


def workload(cases, **kw):
    kw.setdefault("repeats", 3)
    return Workload(key="T", title="test", unit="ms", unit_scale=1e3, cases=cases, **kw)


def test_systems_alternate_after_their_warmup():
    log = []
    wl = workload([SystemCase("a", lambda: Recorder("a", log)), SystemCase("b", lambda: Recorder("b", log))],
                  warmup=2)
    res = harness.run_workload(wl, memory=False)
    assert log == ["a", "a", "b", "b"] + ["a", "b"] * 3
    assert [len(r.times) for r in res.rows] == [3, 3]


def test_repeats_override_except_for_fixed_workloads():
    log = []
    wl = workload([SystemCase("a", lambda: Recorder("a", log))], warmup=0)
    assert len(harness.run_workload(wl, repeats=5, memory=False).rows[0].times) == 5
    wl.fixed_repeats = True
    assert len(harness.run_workload(wl, repeats=5, memory=False).rows[0].times) == 3


def test_missing_failing_and_skipped_systems_are_reported_not_raised():
    log = []
    wl = workload([SystemCase("ok", lambda: Recorder("ok", log)),
                   SystemCase("absent", lambda: Recorder("x", log), requires="no_such_module_for_bench"),
                   SystemCase("deep", Boom),
                   SystemCase("skipped", lambda: Recorder("y", log), skip="not run: too slow")])
    res = harness.run_workload(wl, memory=False)
    status = {r.system: r.status for r in res.rows}
    assert status == {"ok": "ok", "absent": "not installed", "deep": "RecursionError", "skipped": "not run: too slow"}
    assert set(log) == {"ok"}
    text = harness.format_result(res)
    assert "absent" in text and "not installed" in text and "RecursionError" in text


def test_check_values_are_compared_with_the_first_system():
    log = []
    wl = workload([SystemCase("ref", lambda: Recorder("r", log, check=(2.0, 3.0))),
                   SystemCase("close", lambda: Recorder("c", log, check=(2.0 + 1e-7, 3.0))),
                   SystemCase("off", lambda: Recorder("o", log, check=(2.1, 3.0)))], check_rtol=1e-6)
    res = harness.run_workload(wl, memory=False)
    assert [r.agree for r in res.rows] == [True, True, False]
    assert "NO" in harness.format_result(res)


def test_first_step_result_is_the_check_without_warmup():
    class Counter(Case):
        n = 0

        def step(self):
            self.n += 1
            return float(self.n)

    res = harness.run_workload(workload([SystemCase("c", Counter)], warmup=0), memory=False)
    assert res.rows[0].check == 1.0


def test_ratios_are_medians_over_the_baseline():
    res = harness.Result(workload([], baselines=("slow",)), [
        harness.Row("fast", times=[1.0, 2.0, 3.0]), harness.Row("slow", times=[4.0, 4.0, 8.0])])
    rows = harness.result_rows(res)
    assert rows[0][3] == "xslow"
    assert rows[1][3] == "0.50" and rows[2][3] == "1.00"
    assert harness.result_json(res)["rows"][0]["ratios"] == {"slow": 0.5}


class Allocates(Case):
    """Holds 40 MiB of float64 for the whole step."""

    def step(self):
        a = np.ones(40 * 2**20 // 8)
        return float(a[0])


def test_memory_sees_an_allocation_traced():
    wl = workload([SystemCase("numpy", Allocates)], warmup=1, memory_steps=0)
    mib = harness.measure_memory_here(wl, "numpy", "traced")
    assert 38 < mib < 60


def test_memory_sees_an_allocation_rss_in_a_fresh_process():
    """RSS is measured in a fresh process, as the benchmarks' workers do: inside the test session the
    heap already holds freed memory (kept by the library's allocator settings), which a new 40 MiB
    array may reuse without the resident size growing."""
    code = ("import numpy as np\n"
            "from benchmarks import harness\n"
            "from benchmarks.harness import Case, SystemCase, Workload\n"
            "class Allocates(Case):\n"
            "    def step(self):\n"
            "        return float(np.ones(40 * 2**20 // 8)[0])\n"
            "wl = Workload(key='T', title='test', unit='ms', unit_scale=1e3, cases=[SystemCase('numpy', Allocates)],\n"
            "              repeats=3, warmup=1, memory_steps=0)\n"
            "print(harness.measure_memory_here(wl, 'numpy', 'rss'))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert 38 < float(out) < 60


def test_machine_info_names_cpu_and_libraries():
    info = harness.machine_info()
    text = harness.format_machine(info)
    assert info["numpy"] == np.__version__
    assert "machine:" in text and "BLAS" in text and "OPENBLAS_CORETYPE" in text


def test_only_selects_by_key_and_rejects_unknown_keys():
    keys = [wl.key for wl in harness.load_workloads(quick=True, only=["W1b", "w2"])]
    assert keys and all(k.startswith("W1b-") for k in keys[:-1]) and keys[-1] == "W2"
    with pytest.raises(SystemExit, match="unknown workload"):
        harness.load_workloads(quick=True, only=["W99"])


def test_cli_runs_one_workload_and_writes_json(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "W2", "--quick", "--repeats", "1",
                           "--no-memory", "--json", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "W2" in proc.stdout and "machine:" in proc.stdout
    data = json.loads(out.read_text())
    rows = {r["system"]: r for r in data["workloads"][0]["rows"]}
    assert rows["tinygrad_udl"]["status"] == "ok" and rows["tinygrad_udl"]["agree"] is True
    assert len(rows["tinygrad_udl"]["times_s"]) == 1


# ---- each system in a worker process of its own (what `python -m benchmarks` does) ---------------


def test_isolated_systems_compute_what_they_compute_in_process():
    wl = harness.find_workload("W1b-1e3", quick=True)
    isolated = harness.run_workload(wl, repeats=2, memory=False, isolate=True)
    here = harness.run_workload(harness.find_workload("W1b-1e3", quick=True), repeats=1, memory=False)
    ours = "tinygrad_udl Value"
    assert isolated.row(ours).status == "ok" and len(isolated.row(ours).times) == 2
    assert isolated.row(ours).check == pytest.approx(here.row(ours).check, rel=1e-12)
    assert isolated.row("python floats (hand)").agree is True


def test_a_worker_reports_what_it_cannot_run_and_when_it_dies():
    unknown = WorkerRunner("W2", "no such system", quick=True)
    try:
        with pytest.raises(CaseFailed, match="KeyError"):
            unknown.start(0)
    finally:
        unknown.close()
    worker = WorkerRunner("W2", "numpy (hand)", quick=True)
    try:
        assert isinstance(worker.start(1), tuple)
        seconds, _ = worker.step()
        assert seconds > 0
        worker.proc.kill()
        worker.proc.wait()
        with pytest.raises(CaseFailed) as died:
            worker.step()
        assert died.value.status == "worker died"
    finally:
        worker.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="no CPU affinity on this platform")
def test_threads_pin_only_a_jax_process_and_only_below_the_core_count():
    """--threads N (OMP_NUM_THREADS) pins a JAX system's process to N cores (XLA reads no thread
    variable); other systems' processes, and runs at the full core count, keep every core."""
    code = ("import os, sys; from benchmarks.harness import pin_threads; pin_threads(sys.argv[1]); "
            "print(len(os.sched_getaffinity(0)))")

    def cores(module, omp):
        env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_NUM_THREADS"}
        if omp is not None:
            env["OMP_NUM_THREADS"] = str(omp)
        out = subprocess.run([sys.executable, "-c", code, module], cwd=REPO, env=env, capture_output=True,
                             text=True, check=True)
        return int(out.stdout)

    available = cores("numpy", None)
    assert cores("jax", None) == available
    assert cores("torch", 1) == available
    assert cores("jax", 1) == 1
