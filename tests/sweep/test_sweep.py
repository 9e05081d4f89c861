"""Sweeps: the same numbers on every backend, resuming without recomputing, failures reported."""
import json
import os

import pytest

from sweep_toy_runs import calls
from tinygrad_udl.sweep import (DaskCluster, InProcess, LocalPool, RunStore, Sweep, execute_run, expand, run_key,
                                run_sweep)
from tinygrad_udl.sweep.core import backend_for

# Tiny runs of two of the book's experiments: the closed-form bias-variance model (fig. 8.9) and the
# residual variances of fig. 11.6.
BOOK_TINY = Sweep("tiny", function="tinygrad_udl.analysis.experiments.ch8:bias_variance_run",
                  grid={"capacity": [2, 3, 4], "n_train": 10, "datasets": 20}, seeds=(0, 1))
RESIDUAL_TINY = Sweep("tiny-residual", function="tinygrad_udl.analysis.experiments.ch11:residual_run",
                      grid={"variant": ["plain", "batchnorm"], "blocks": 3, "width": 8, "batch": 32}, seeds=(0,))


def toy_sweep(tmp_path, **extra):
    return Sweep("toy", function="sweep_toy_runs:toy_run",
                 grid={"a": [1, 2, 3, 4, 5], "b": [0.0, 0.5], "log": str(tmp_path / "calls.log"), **extra},
                 seeds=(0,))


def by_hand(sweep):
    """Each run called directly, its result through JSON as a result file holds it."""
    from tinygrad_udl.sweep.execute import jsonable, resolve

    f = resolve(sweep.function_path)
    return [json.loads(json.dumps(jsonable(f(**params)))) for params in sweep.runs()]


def results(result):
    return [r["result"] for r in result.records]


def test_expand_and_keys():
    runs = expand([{"a": [1, 2], "b": 0.5}, {"a": 9}], seeds=[0, 1])
    assert runs == [{"a": 1, "b": 0.5, "seed": 0}, {"a": 1, "b": 0.5, "seed": 1}, {"a": 2, "b": 0.5, "seed": 0},
                    {"a": 2, "b": 0.5, "seed": 1}, {"a": 9, "seed": 0}, {"a": 9, "seed": 1}]
    assert run_key("m:f", {"a": 1, "seed": 0}) == run_key("m:f", {"seed": 0, "a": 1})   # order does not matter
    assert run_key("m:f", {"a": 1, "seed": 0}) != run_key("m:f", {"a": 1, "seed": 1})
    assert run_key("m:f", {"a": 1, "seed": 0}) != run_key("m:f", {"a": 1, "seed": 0}, version=2)
    with pytest.raises(ValueError, match="seed"):
        expand({"seed": [1, 2]})
    with pytest.raises(TypeError):
        expand({"a": [object()]})


def test_dask_local_pool_and_by_hand_give_the_same_numbers(tmp_path):
    expected = by_hand(BOOK_TINY)
    pool = run_sweep(BOOK_TINY, tmp_path / "pool", backend=LocalPool(2), progress=False)
    dask = run_sweep(BOOK_TINY, tmp_path / "dask", backend=DaskCluster(local=True, workers=2, processes=False),
                     progress=False)
    inline = run_sweep(BOOK_TINY, tmp_path / "inline", backend=InProcess(), progress=False)
    assert results(pool) == results(dask) == results(inline) == expected        # bit for bit
    assert pool.table() == dask.table() and pool.complete and dask.computed == 6
    # and the record a run file holds is what the sweep returned
    store = RunStore(tmp_path / "dask")
    assert [store.load(BOOK_TINY.key(p))["result"] for p in BOOK_TINY.runs()] == expected


def test_engine_runs_agree_between_dask_and_by_hand(tmp_path):
    dask = run_sweep(RESIDUAL_TINY, tmp_path, backend=DaskCluster(local=True, workers=2, processes=False),
                     progress=False)
    assert results(dask) == by_hand(RESIDUAL_TINY)


def test_a_failed_run_is_reported_and_the_rerun_computes_only_it(tmp_path):
    flag = tmp_path / "fail"
    flag.touch()
    sweep = toy_sweep(tmp_path, fail_flag=str(flag))
    messages = []
    first = run_sweep(sweep, tmp_path / "out", backend=LocalPool(2), progress=False, report=messages.append)
    assert len(first.failed) == 2 and len(first.ok) == 8            # a = 3 with b = 0 and 0.5; the others finished
    assert all(r["params"]["a"] == 3 for r in first.failed)
    assert len(messages) == 2 and "a=3" in messages[0] and "injected failure" in messages[0]
    record = json.loads(RunStore(tmp_path / "out").path(first.failed[0]["key"]).read_text())
    assert record["status"] == "failed" and "ValueError: injected failure" in record["traceback"]

    flag.unlink()
    before = len(calls(tmp_path / "calls.log"))
    second = run_sweep(sweep, tmp_path / "out", backend=InProcess(), progress=False)
    recomputed = calls(tmp_path / "calls.log")[before:]
    assert sorted(recomputed) == [(3, 0.0, 0), (3, 0.5, 0)]        # nothing finished was recomputed
    assert second.complete and second.computed == 2

    clean = run_sweep(toy_sweep(tmp_path, fail_flag=str(flag)), tmp_path / "clean", backend=InProcess(),
                      progress=False)
    assert second.table() == clean.table() and results(second) == results(clean)


@pytest.mark.parametrize("backend", ["inline", "pool"])
def test_an_interrupted_sweep_resumes_without_recomputing(tmp_path, monkeypatch, backend):
    make = (lambda: InProcess()) if backend == "inline" else (lambda: LocalPool(2))
    sweep = toy_sweep(tmp_path)
    saved = []
    original = RunStore.save

    def save_then_interrupt(self, record):
        path = original(self, record)
        saved.append(tuple(record["params"][k] for k in ("a", "b", "seed")))
        if len(saved) == 4:
            raise KeyboardInterrupt  # Ctrl-C after the 4th result was written
        return path

    monkeypatch.setattr(RunStore, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, tmp_path / "out", backend=make(), progress=False)
    monkeypatch.setattr(RunStore, "save", original)
    assert len(saved) == 4 and len(list((tmp_path / "out" / "runs").glob("*.json"))) == 4

    before = len(calls(tmp_path / "calls.log"))
    resumed = run_sweep(sweep, tmp_path / "out", backend=InProcess(), progress=False)
    recomputed = calls(tmp_path / "calls.log")[before:]
    assert not set(recomputed) & set(saved)                         # no finished run computed again
    assert len(recomputed) == 6 and resumed.computed == 6 and resumed.complete

    uninterrupted = run_sweep(toy_sweep(tmp_path), tmp_path / "clean", backend=InProcess(), progress=False)
    assert resumed.table() == uninterrupted.table() and results(resumed) == results(uninterrupted)
    assert len(resumed.rows) == 10


def test_a_worker_that_dies_fails_its_run_and_the_pool_goes_on(tmp_path):
    flag = tmp_path / "crash"
    flag.touch()
    sweep = toy_sweep(tmp_path, crash_flag=str(flag))
    first = run_sweep(sweep, tmp_path / "out", backend=LocalPool(1), progress=False, report=lambda m: None)
    assert [(r["params"]["a"], r["params"]["b"]) for r in first.failed] == [(2, 0.0)]   # one worker: only its run
    assert "died" in first.failed[0]["error"] and len(first.ok) == 9               # the restarted pool went on
    flag.unlink()
    second = run_sweep(sweep, tmp_path / "out", backend=InProcess(), progress=False)
    assert second.complete and second.computed == 1


def test_execute_run_records_failures_and_plain_results():
    ok = execute_run("sweep_toy_runs:toy_run", {"a": 1, "b": 0.0, "seed": 0}, "k")
    assert ok["status"] == "ok" and isinstance(ok["result"]["curve"], list) and ok["key"] == "k"
    bad = execute_run("sweep_toy_runs:no_such_function", {"seed": 0}, "k")
    assert bad["status"] == "failed" and "AttributeError" in bad["error"] and bad["traceback"]


def test_backend_choice():
    assert isinstance(backend_for(workers=0), InProcess)
    assert isinstance(backend_for(workers=3), LocalPool) and backend_for(workers=3).workers == 3
    assert backend_for(cluster="local").local and backend_for(scheduler="tcp://127.0.0.1:1").scheduler
    with pytest.raises(ValueError):
        backend_for(scheduler="tcp://127.0.0.1:1", cluster="local")


def test_a_corrupt_result_file_is_recomputed(tmp_path):
    sweep = toy_sweep(tmp_path)
    run_sweep(sweep, tmp_path / "out", backend=InProcess(), progress=False)
    key = sweep.key(sweep.runs()[0])
    RunStore(tmp_path / "out").path(key).write_text("{not json")
    again = run_sweep(sweep, tmp_path / "out", backend=InProcess(), progress=False)
    assert again.computed == 1 and again.complete
    assert os.path.getsize(RunStore(tmp_path / "out").path(key)) > 10
