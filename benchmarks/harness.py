"""The measuring machinery shared by every workload: cases, alternating timing, memory, the table.

A *workload* (one row block of the table) runs the same computation -- same maths, sizes, dtype,
seeds, initial weights and data -- on several *systems* (tinygrad_udl and its peers). Each system
provides a `Case`: an object with the state of one run and a `step()` that does one timed unit of
work (one training step, one epoch, a batch of iterations).

How the numbers are taken (and why):

- Every case first computes a *check value* on its initial state (`check()`, e.g. the first loss);
  the table prints it and whether it agrees with the first system's, so a fast wrong answer shows.
- Warm-up: `warmup` untimed steps per system (first-call costs: imports, allocator, caches).
- Each system runs in a worker process of its own (`runners.py`: one interpreter per system, with
  only its own library imported), so that no system pays for another's heap, garbage or
  allocator caches; what its own garbage collector does during its steps is part of its cost.
- Timing alternates between systems, A B C A B C ..., so that a slow period of the shared machine
  hits every system alike.
- Each timed step follows untimed steps of the same code (`runners.LocalRunner`, at least 20 ms of
  them): between two samples of one system the others ran and the harness paused, and a step
  started with cold caches is slower than the same step in a loop. A row is what a plain loop of
  its code measures; `--plain-check` (`plain.py`) checks that, row by row.
- The table reports the median (and the inter-quartile range relative to it) and ratios of
  medians to the baselines (PyTorch; micrograd for the scalar workloads).
- Peak memory is measured per system in a fresh subprocess (`python -m benchmarks.memory`), never
  in the timing process: "RSS" is the peak resident set size (VmHWM, reset through
  /proc/self/clear_refs) minus the resident size just before the model is built, after the library
  was imported and exercised once and the shared data made -- so it covers parameters, gradients,
  optimizer state, activations and allocator caches of the run. "traced" is tracemalloc's peak over
  the same span, which sees Python objects and numpy buffers exactly (numpy reports its
  allocations to tracemalloc) but not PyTorch's allocator, so it is given for numpy-based systems
  only.
"""
from __future__ import annotations

import gc
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

from .runners import REPO_ROOT, CaseFailed, LocalRunner, WorkerRunner, plain_loop

# System names used in every table (ratio baselines refer to them).
OURS = "tinygrad_udl"
TORCH = "pytorch"
MICROGRAD = "micrograd"
AUTOGRAD = "autograd"
NUMPY = "numpy (hand)"
JAX = "jax (jit)"

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OPENBLAS_UNSET_MARK = "TINYGRAD_UDL_BENCH_UNSET_OPENBLAS"  # set by __main__ when it removed them

# --threads N sets these for the whole run (and its memory subprocesses); torch reads the first.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")



class Case:
    """The state of one system on one workload. Subclasses implement `step()`; `check()` returns a
    float or tuple of floats computed on the initial state (default: the first step's result)."""

    def check(self):
        return None

    def step(self):
        raise NotImplementedError

    def extras(self) -> dict:
        """Extra results for the notes column, e.g. {'test acc': '71.3%'} after training."""
        return {}


@dataclass
class SystemCase:
    """One system's implementation of a workload.

    `requires` is the module that must import for the system to be installed (None: always
    available); `skip` a reason not to run it at all (shown instead of a time).
    """

    system: str
    make: Callable[[], Case]
    requires: str | None = None
    skip: str | None = None
    note: str = ""
    flops: float | None = None  # overrides the workload's flops per iteration (e.g. a reference kernel)
    measure_memory: bool = True

    @property
    def memory_methods(self):
        if not self.measure_memory:
            return ()
        # PyTorch and JAX (XLA) allocate outside Python's allocator: tracemalloc cannot see their buffers.
        return ("rss",) if self.requires in ("torch", "jax") else ("rss", "traced")


@dataclass
class Workload:
    """A computation run by several systems. `unit_scale` converts seconds to `unit`; `inner` is
    how many iterations one `step()` makes (times are reported per iteration)."""

    key: str
    title: str
    unit: str
    unit_scale: float
    cases: list
    repeats: int
    warmup: int = 1
    inner: int = 1
    baselines: tuple = (TORCH,)
    check_rtol: float = 1e-4
    check_atol: float = 1e-6
    fixed_repeats: bool = False  # e.g. epochs: --repeats does not change them, nor does re-warming (runners.py)
    memory_steps: int = 2  # steps after the warm-up that the memory run makes
    memory_methods: tuple | None = None  # restrict the methods (None: all that suit each system)
    flops: float | None = None  # floating-point operations per iteration (for GFLOP/s)
    gflops_reference: str | None = None  # the row whose GFLOP/s the others are a fraction of
    memory_in_quick: bool = False  # --quick measures memory only where a target depends on it
    prepare: Callable[[], object] | None = None  # builds the shared data (before the memory baseline)
    notes: list = field(default_factory=list)

    def case(self, system):
        for sc in self.cases:
            if sc.system == system:
                return sc
        raise KeyError(f"{self.key} has no system {system!r}; it has {[sc.system for sc in self.cases]}")


# ---- systems ----------------------------------------------------------------------------------------

_installed: dict = {}


def installed(module: str | None) -> bool:
    """Whether an optional peer imports (cached). PyTorch gets all cores, as the brief asks (or
    --threads N); for JAX a benchmark process calls `pin_threads` first."""
    if module is None:
        return True
    if module not in _installed:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            _installed[module] = False
        else:
            if module == "torch":
                mod.set_num_threads(threads())
            _installed[module] = True
    return _installed[module]


def pin_threads(module: str | None):
    """In a process that runs one system (a worker, a memory or plain-loop run): with --threads N
    below the core count, pin a JAX process to N cores. XLA's CPU thread pool reads no thread
    variable, so this is the only way to give it N; done before the import, every thread XLA
    starts inherits it. (PyTorch and OpenBLAS read their thread settings themselves.)"""
    if module == "jax" and threads() < (os.cpu_count() or 1):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads()])


def threads() -> int:
    """Threads for PyTorch and JAX: all cores (the brief), or --threads N (which sets OMP_NUM_THREADS)."""
    return int(os.environ.get("OMP_NUM_THREADS") or 0) or os.cpu_count() or 1


def exercise_library(module: str | None):
    """Run one tiny computation so that lazy library initialisation (kernels, thread pools) is
    done before a memory baseline is taken; the model's memory is then what is measured."""
    import numpy as np

    a = np.ones((4, 4), np.float32)
    a @ a
    if module == "torch":
        import torch
        t = torch.ones(4, 4, requires_grad=True)
        (t @ t).relu().sum().backward()
    elif module == "autograd":
        import autograd
        import autograd.numpy as anp
        autograd.grad(lambda x: anp.sum(anp.tanh(x @ x)))(a)
    elif module == "micrograd":
        from micrograd.engine import Value
        (Value(1.0) * 2).relu().backward()
    elif module == "jax":  # starts the XLA CPU client and its thread pool (it preallocates nothing on CPU)
        import jax
        import jax.numpy as jnp
        float(jax.jit(jax.grad(lambda x: jnp.sum(jax.nn.relu(x @ x))))(jnp.asarray(a)).sum())
    else:
        import tinygrad_udl as tg
        t = tg.Tensor(a, requires_grad=True)
        (t @ t).relu().sum().backward()
        (tg.Value(1.0) * 2).relu().backward()


def warmed_case(wl: Workload, sc: SystemCase) -> Case:
    """`sc`'s case of `wl` started as a worker starts it: the shared data, the case, its check value
    and the warm-up steps (for the plain loops and the profiler)."""
    if wl.prepare is not None:
        wl.prepare()
    case = sc.make()
    case.check()
    for _ in range(wl.warmup):
        case.step()
    return case


# ---- timing -----------------------------------------------------------------------------------------


@dataclass
class Row:
    system: str
    status: str = "ok"  # ok | not installed | <ExceptionName> | skipped reason
    detail: str = ""
    times: list = field(default_factory=list)  # seconds per iteration, one per sample
    check: object = None
    agree: bool | None = None
    extras: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)  # method -> MiB (or an error string)
    note: str = ""
    plain: list = field(default_factory=list)  # seconds per iteration in plain loops (--plain-check)
    plain_error: str = ""

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None

    @property
    def plain_median(self):
        return statistics.median(self.plain) if self.plain else None

    @property
    def iqr_rel(self):
        if len(self.times) < 4:
            return None
        q1, _, q3 = statistics.quantiles(self.times, n=4)
        return (q3 - q1) / self.median


@dataclass
class Result:
    workload: Workload
    rows: list

    def row(self, system):
        for r in self.rows:
            if r.system == system:
                return r
        return None


# Untimed pause before each sample when systems run in worker processes with several threads:
# a BLAS or OpenMP pool keeps its threads spinning for a while after its last call (OpenBLAS for
# about 2^28 cycles, ~0.1 s), and from another process those spinning threads would take cores
# from the next system's step (in our runs: W5 medians up to 2x slower, IQRs of 20-80 %).
SETTLE_S = 0.25


def run_workload(wl: Workload, repeats: int | None = None, memory: bool = True, quick: bool = False,
                 log=None, isolate: bool = False, plain_check: bool = False) -> Result:
    """Start every installed system's case (check value, warm-up), then time them alternately.
    With `isolate` (what `python -m benchmarks` does) each system runs in a worker process of its
    own; without, in this process (the tests' ad-hoc workloads). With `plain_check` (isolated
    only), every timed system's plain loop (`plain_loop`) also runs, between the rounds."""
    if plain_check and not isolate:
        raise ValueError("plain_check needs isolate=True: a plain loop finds its workload by key")
    log = log or (lambda msg: None)
    rows, runners = [], []
    if wl.prepare is not None and not isolate:
        wl.prepare()
    for sc in wl.cases:
        row = Row(sc.system, note=sc.note)
        rows.append(row)
        if sc.skip:
            row.status = sc.skip
        elif not installed(sc.requires):
            row.status = "not installed"
        else:  # workers are all started first, so that their imports overlap
            runners.append((row, WorkerRunner(wl.key, sc.system, quick) if isolate else LocalRunner(sc)))
    try:
        for row, runner in runners:
            try:
                row.check = runner.start(wl.warmup)
            except CaseFailed as failed:  # a system that cannot run the workload is reported, not fatal
                row.status, row.detail = failed.status, failed.detail
        n = wl.repeats if (repeats is None or wl.fixed_repeats) else repeats
        log(f"{wl.key}: timing {sum(row.status == 'ok' for row, _ in runners)} systems x {n} samples")
        plain_before = _plain_schedule([row for row, _ in runners if row.status == "ok"], n) if plain_check else {}
        for round_ in range(n):
            for row in plain_before.get(round_, ()):
                _run_plain(wl, row, quick, n, log)
            for row, runner in runners:
                if row.status != "ok":
                    continue
                if isolate and threads() > 1:
                    time.sleep(SETTLE_S)
                try:
                    seconds, out = runner.step()
                except CaseFailed as failed:
                    row.status, row.detail = failed.status, failed.detail
                    continue
                row.times.append(seconds / wl.inner)
                if row.check is None:  # no warm-up and no check(): the first step's result
                    row.check = out
        for row, runner in runners:
            if row.status == "ok":
                row.extras = runner.extras()
    finally:
        for _, runner in runners:
            runner.close()
    _judge_checks(wl, rows)
    if memory and (wl.memory_in_quick or not quick):
        for row in rows:
            if row.status == "ok":
                sc = wl.case(row.system)
                for method in sc.memory_methods:
                    if wl.memory_methods is not None and method not in wl.memory_methods:
                        continue
                    log(f"{wl.key}: memory ({method}) of {row.system}")
                    row.memory[method] = measure_memory(wl.key, row.system, method, quick)
    return Result(wl, rows)


def _plain_schedule(rows, rounds):
    """{round: rows whose plain loop runs before that round}: each row's plain loop runs once (twice
    when there are enough rounds), spread evenly over the timing, so that the plain loops meet the
    machine in the same states as the harness's samples."""
    if not rows:
        return {}
    jobs = rows * (2 if rounds >= 2 * len(rows) else 1)
    schedule = {}
    for j, row in enumerate(jobs):
        schedule.setdefault(j * rounds // len(jobs), []).append(row)
    return schedule


def _run_plain(wl, row, quick, samples, log):
    if row.status != "ok":  # failed in the meantime
        return
    log(f"{wl.key}: plain loop of {row.system}")
    try:
        row.plain += plain_loop(wl.key, row.system, quick, samples)
    except CaseFailed as failed:
        row.plain_error = f"{failed.status}: {failed.detail}"


def _as_tuple(check):
    return tuple(check) if isinstance(check, tuple | list) else (check,)


def _judge_checks(wl, rows):
    ref = next((r for r in rows if r.status == "ok" and r.check is not None), None)
    if ref is None:
        return
    want = _as_tuple(ref.check)
    for r in rows:
        if r.status == "ok" and r.check is not None:
            got = _as_tuple(r.check)
            r.agree = len(got) == len(want) and all(
                math.isclose(float(a), float(b), rel_tol=wl.check_rtol, abs_tol=wl.check_atol)
                for a, b in zip(got, want))


# ---- memory -----------------------------------------------------------------------------------------


def _status_kib(name):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {name}")


def _reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM (the peak RSS) to the current RSS


def measure_memory_here(wl: Workload, system: str, method: str) -> float:
    """Peak memory (MiB) of building `system`'s case and running it; see the module docstring."""
    sc = wl.case(system)
    if not installed(sc.requires):
        raise RuntimeError(f"{system} is not installed")
    exercise_library(sc.requires)
    if wl.prepare is not None:
        wl.prepare()
    gc.collect()
    if method == "rss":
        _reset_peak_rss()
        base = _status_kib("VmRSS")
    elif method == "traced":
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
    else:
        raise ValueError(f"unknown memory method {method!r}; use 'rss' or 'traced'")
    case = sc.make()
    case.check()
    for _ in range(wl.warmup + wl.memory_steps):
        case.step()
    if method == "rss":
        peak = _status_kib("VmHWM") - base
        return peak / 1024
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / 2**20


def measure_memory(key: str, system: str, method: str, quick: bool, timeout=600):
    """Run `measure_memory_here` in a fresh interpreter; MiB, or a short error string."""
    cmd = [sys.executable, "-m", "benchmarks.memory", key, system, method] + (["--quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        err = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return err[:80]
    return json.loads(lines[-1])["mib"]


MEMORY_LEGEND = ("peak memory, each system in a fresh subprocess: 'peak RSS' = VmHWM (reset via /proc/self/clear_refs) "
                 "minus VmRSS before the model is built (after import and shared data); 'traced' = tracemalloc "
                 "peak over the same span (Python objects + numpy buffers; not shown for PyTorch and JAX, whose "
                 "allocators tracemalloc cannot see)")


PLAIN_LEGEND = ("harness/plain: the row's median over the median of the same steps timed back to back in a plain "
                "loop (python -m benchmarks.plain, a fresh interpreter per loop), run between the rounds")


# ---- the machine ------------------------------------------------------------------------------------


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _blas_line():
    import numpy as np

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        np.ones((2, 2)) @ np.ones((2, 2))  # make sure BLAS is loaded
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            return "; ".join(f"{p['internal_api']} {p.get('version')} ({p.get('architecture')} kernel, "
                             f"{p['num_threads']} threads)" for p in pools) + " [threadpoolctl]"
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} [numpy.show_config; threadpoolctl not installed]"
    except (TypeError, KeyError, ValueError):  # older numpy: no dicts mode, or no BLAS entry
        return "unknown (threadpoolctl not installed)"


def machine_info() -> dict:
    import numpy as np

    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_line(),
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "thread_env": {v: os.environ[v] for v in THREAD_VARS if v in os.environ},
        "malloc": _malloc_line(),
    }
    for name in ("torch", "micrograd", "autograd", "jax"):
        info[name] = _version(name) if installed(name) else "not installed"
    if installed("torch"):
        import torch
        info["torch_threads"] = torch.get_num_threads()
    unset = os.environ.get(OPENBLAS_UNSET_MARK)
    present = {v: os.environ[v] for v in OPENBLAS_VARS if v in os.environ}
    if unset:
        info["openblas_env"] = f"unset for this run (were {unset})"
    elif present:
        info["openblas_env"] = f"set: {present}"
    else:
        info["openblas_env"] = "not set"
    return info


def _malloc_line():
    """What tinygrad_udl's import did to glibc's malloc (tinygrad_udl/allocator.py). Every worker
    imports it (`benchmarks.worker`), peers included, so all systems run with the same settings;
    TINYGRAD_UDL_MALLOC=default in the environment measures all of them without."""
    from tinygrad_udl import allocator

    return allocator.STATUS


def busy_warning(info: dict):
    """A warning when other processes already load the cores: multi-threaded libraries (PyTorch's
    OpenMP pool, OpenBLAS) then wait on each other's threads and slow down by large, erratic factors,
    while single-threaded Python engines lose far less -- the ratios would flatter the latter."""
    load, cores = info.get("loadavg"), info.get("usable_cores") or info.get("cores") or 1
    threads_set = bool(info.get("thread_env"))
    if load and load[0] > 0.5 and not threads_set and cores > 1:
        return (f"WARNING: load average {load[0]:.2f} before the run on {cores} cores: other processes are busy. "
                "Multi-threaded timings (PyTorch, BLAS) are unreliable under contention; compare with "
                "--threads 1, or run on an idle machine.")
    return None


def _version(module):
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return getattr(importlib.import_module(module), "__version__", "?")


def format_machine(info: dict) -> str:
    load = info.get("loadavg")
    load_text = f", load average {load[0]:.2f}" if load else ""
    lines = [
        (f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
         f"Python {info['python']}{load_text}"),
        (f"numpy {info['numpy']}, BLAS: {info['blas']}; OPENBLAS_CORETYPE/L2_SIZE: {info['openblas_env']}; "
         f"thread variables: {info['thread_env'] or 'none (libraries use all cores)'}"),
        f"torch {info['torch']}" + (f" ({info['torch_threads']} threads)" if "torch_threads" in info else "")
        + f", micrograd {info['micrograd']}, autograd {info['autograd']}, jax {info['jax']}",
        f"{info['malloc']}, in every system's worker",
    ]
    return "\n".join(lines)


# ---- the table --------------------------------------------------------------------------------------


def _fmt_num(x):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _fmt_ratio(x):
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def _fmt_check(check):
    if check is None:
        return "-"
    return ", ".join(f"{float(v):.6g}" for v in _as_tuple(check))


def _fmt_mem(value):
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float | int) else str(value)


def result_rows(res: Result) -> list:
    """The table rows of one workload as lists of strings (header first)."""
    wl = res.workload
    checked = any(r.plain or r.plain_error for r in res.rows)  # --plain-check ran
    header = ["system", f"median {wl.unit}", "IQR"] + [f"x{b}" for b in wl.baselines] + \
             (["harness/plain"] if checked else []) + ["check", "agree", "peak RSS MiB", "traced MiB", "notes"]
    base = {b: (res.row(b).median if res.row(b) and res.row(b).status == "ok" else None) for b in wl.baselines}
    out = [header]
    for r in res.rows:
        if r.status != "ok":
            msg = r.status + (f": {r.detail}" if r.detail and r.status != "not installed" else "")
            out.append([r.system, msg] + [""] * (len(header) - 2))
            continue
        med = r.median
        cells = [r.system, _fmt_num(med * wl.unit_scale) if med else "-",
                 f"{100 * r.iqr_rel:.0f}%" if r.iqr_rel is not None else "-"]
        for b in wl.baselines:
            cells.append(_fmt_ratio(med / base[b]) if med and base[b] else "-")
        if checked:
            cells.append(f"{med / r.plain_median:.2f}" if med and r.plain else "failed" if r.plain_error else "-")
        notes = [f"{k} {v}" for k, v in r.extras.items()]
        if r.plain_error:
            notes.append(f"plain loop {r.plain_error}")
        gf = _gflops(res, r)
        if gf:
            ref = res.row(wl.gflops_reference) if wl.gflops_reference else None
            ref_gf = _gflops(res, ref) if ref is not None and ref is not r else None
            notes.insert(0, f"{gf:.1f} GFLOP/s" + (f" = {gf / ref_gf:.2f} of {ref.system}" if ref_gf else ""))
        if r.note:
            notes.append(r.note)
        cells += [_fmt_check(r.check), {True: "yes", False: "NO", None: "-"}[r.agree],
                  _fmt_mem(r.memory.get("rss")), _fmt_mem(r.memory.get("traced")), "; ".join(notes)]
        out.append(cells)
    return out


def _gflops(res, row):
    sc = next((c for c in res.workload.cases if c.system == row.system), None)
    flops = (sc.flops if sc else None) or res.workload.flops
    return flops / row.median / 1e9 if flops and row.status == "ok" and row.median else None


def format_result(res: Result) -> str:
    wl = res.workload
    rows = result_rows(res)
    ran = [row for row in rows if any(row[2:])]  # the header and the systems that were timed
    widths = [max(len(row[i]) for row in ran) for i in range(len(rows[0]))]
    lines = [f"{wl.key}  {wl.title}"]
    for row in rows:
        if not any(row[2:]):  # not installed, skipped or failed: one message
            lines.append(f"  {row[0]:<{widths[0]}}  {row[1]}")
            continue
        lines.append("  " + "  ".join(f"{c:<{w}}" if i in (0, len(row) - 1) else f"{c:>{w}}"
                                      for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    for note in wl.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def result_json(res: Result) -> dict:
    wl = res.workload
    return {
        "key": wl.key, "title": wl.title, "unit": wl.unit, "unit_scale": wl.unit_scale, "notes": wl.notes,
        "rows": [{
            "system": r.system, "status": r.status, "detail": r.detail,
            "median_s": r.median, "times_s": r.times, "iqr_rel": r.iqr_rel,
            "check": list(_as_tuple(r.check)) if r.check is not None else None, "agree": r.agree,
            "extras": r.extras, "memory_mib": r.memory, "note": r.note,
            "plain_median_s": r.plain_median, "plain_times_s": r.plain, "plain_error": r.plain_error,
            "ratios": {b: (r.median / res.row(b).median) for b in wl.baselines
                       if r.median and res.row(b) and res.row(b).median},
        } for r in res.rows],
    }


# ---- the workloads ----------------------------------------------------------------------------------


def load_workloads(quick: bool, only=None) -> list:
    """All workloads (in table order), or those whose key is in `only` ('W1b' selects 'W1b-1e3' ...)."""
    from . import WORKLOAD_MODULES

    wls = []
    for name in WORKLOAD_MODULES:
        wls += importlib.import_module(f"{__package__}.{name}").workloads(quick)
    if only:
        wanted = {k.strip().upper() for k in only}
        unknown = {k for k in wanted if not any(_selects(k, wl.key) for wl in wls)}
        if unknown:
            raise SystemExit(f"--only: unknown workload(s) {sorted(unknown)}; known: {[wl.key for wl in wls]}")
        wls = [wl for wl in wls if any(_selects(k, wl.key) for k in wanted)]
    return wls


def _selects(selector, key):
    key = key.upper()
    return key == selector or key.startswith(selector + "-")


def find_workload(key: str, quick: bool) -> Workload:
    for wl in load_workloads(quick):
        if wl.key == key:
            return wl
    raise KeyError(f"no workload {key!r}")
