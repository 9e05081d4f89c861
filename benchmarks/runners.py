"""Where a system's case runs while the harness times it: in this process, or in a worker process
of its own.

The harness asks a runner to `start(warmup)` (build the case, compute its check value, warm up)
and then, alternating between systems, to `step()` (one timed step: seconds and the step's
result). `python -m benchmarks` runs every system in a worker (`WorkerRunner`): one interpreter
per system, in which only that system's library runs (tinygrad_udl is imported in all of them: the
shared data and the workload definitions come from it). That matters for the Python engines:
CPython's cyclic garbage collector walks every tracked object of a process in its full
collections -- torch's modules alone are about 140,000 objects, tinygrad_udl's 42,000 -- so in a
shared process a Python engine would pay for the other systems' modules and live models. In its
own process each system pays for its own heap and collects its own garbage, as in a user's
training loop: nothing is collected for it between steps. `LocalRunner` (the same steps in this
process) serves the tests and the workers themselves.

A worker re-warms before every timed sample: between two of its samples the other systems ran
their steps and the harness paused (`harness.SETTLE_S`), so the caches hold other code and data,
and a step started cold pays for reloading them -- a fraction of a millisecond to a few, which
doubled or tripled the millisecond steps of W1 (same run, workers with and without re-warm:
PyTorch 1.38 against 0.66 ms, the numpy floor 0.46 against 0.15 ms). So the worker first runs the
case's own steps, untimed, for at least `REWARM_S` (at least one step), and then times one: what
a user's loop of that code measures (`benchmarks/plain.py`, and `python -m benchmarks
--plain-check`, compare the two). Steps of `REWARM_MAX_S` or more are not re-warmed: for them a
cold start is noise.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

REWARM_S = 0.02      # untimed steps before each timed sample in a worker: at least this long (s)
REWARM_MAX_S = 1.0   # ... unless one step takes this long


class CaseFailed(Exception):
    """A system could not build or run its case: `status` (the exception's name) and `detail` go
    into the table instead of a time."""

    def __init__(self, status, detail=""):
        super().__init__(status, detail)
        self.status, self.detail = status, detail

    @classmethod
    def of(cls, exc):
        return cls(type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")


class LocalRunner:
    """A system's case in this process. `rewarm` (the workers): every timed step follows untimed
    steps (see the module docstring) of the same case ("same"), or of a second case built alike
    ("twin") when the number of steps is part of the result (the epochs of W3, W4: the accuracy
    after them is reported, and every system must train alike)."""

    def __init__(self, system_case, rewarm=None):
        if rewarm not in (None, "same", "twin"):
            raise ValueError(f"rewarm must be None, 'same' or 'twin', not {rewarm!r}")
        self.system_case, self.rewarm = system_case, rewarm
        self.case = self.warm_case = None
        self.last_s = None  # how long the latest timed or warm-up step took

    def start(self, warmup):
        """Build the case; its check value (or the first warm-up step's result); `warmup` untimed steps."""
        try:
            self.case = self.system_case.make()
            check = self.case.check()
            for i in range(warmup):
                _, out = self._run()
                if i == 0 and check is None:
                    check = out
            if self.rewarm == "twin":
                self.warm_case = self.system_case.make()
                for _ in range(warmup):
                    self.warm_case.step()
            elif self.rewarm == "same":
                self.warm_case = self.case
        except Exception as exc:  # a system that cannot run the workload is reported, not fatal
            raise CaseFailed.of(exc) from exc
        return check

    def step(self):
        """(seconds, result) of one step."""
        try:
            if self.warm_case is not None:
                self._rewarm()
            return self._run()
        except Exception as exc:
            raise CaseFailed.of(exc) from exc

    def _run(self):
        t0 = time.perf_counter()
        out = self.case.step()
        self.last_s = time.perf_counter() - t0
        return self.last_s, out

    def _rewarm(self):
        """Untimed steps for at least REWARM_S; none before the first step ever (a workload without
        warm-up times its first run) or when a step takes REWARM_MAX_S or more."""
        spent = 0.0
        while self.last_s is not None and self.last_s < REWARM_MAX_S and spent < REWARM_S:
            t0 = time.perf_counter()
            self.warm_case.step()
            spent += time.perf_counter() - t0

    def extras(self) -> dict:
        return self.case.extras()

    def close(self):
        self.case = self.warm_case = None


class WorkerRunner:
    """A system's case in a worker process (`python -m benchmarks.worker KEY SYSTEM`), driven over
    its stdin/stdout one JSON line per command; the worker's own output goes to a scratch file,
    whose last line explains a worker that died."""

    def __init__(self, key, system, quick):
        self.errors = tempfile.TemporaryFile("w+")
        cmd = [sys.executable, "-m", "benchmarks.worker", key, system] + (["--quick"] if quick else [])
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, text=True, bufsize=1)

    def _ask(self, command):
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self.errors.seek(0)
            last = (self.errors.read().strip().splitlines() or ["no output"])[-1]
            raise CaseFailed("worker died", f"exit code {self.proc.poll()}: {last[:160]}")
        reply = json.loads(line)
        if "error" in reply:
            raise CaseFailed(*reply["error"])
        return reply["ok"]

    def start(self, warmup):
        return from_json(self._ask(f"start {warmup}"))

    def step(self):
        seconds, out = self._ask("step")
        return seconds, from_json(out)

    def extras(self) -> dict:
        return self._ask("extras")

    def close(self):
        try:
            self.proc.stdin.close()   # end of input: the worker exits
        except BrokenPipeError:
            pass                      # it already has
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.errors.close()


def plain_loop(key, system, quick, samples=None, timeout=3600):
    """Seconds per iteration of `samples` steps (default: the workload's repeats) of `system`'s case in
    a plain loop (`python -m benchmarks.plain`: a fresh interpreter that times the steps back to back,
    with none of the worker machinery)."""
    cmd = [sys.executable, "-m", "benchmarks.plain", key, system, "--json"] + (["--quick"] if quick else []) + \
          ([f"--samples={samples}"] if samples else [])
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CaseFailed("plain loop timed out", f"after {timeout} s") from exc
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise CaseFailed("plain loop failed", f"exit code {proc.returncode}: {last[:160]}")
    return json.loads(lines[-1])["times_s"]


def to_json(x):
    """Check values and extras as JSON: numbers (numpy's too) as floats, tuples as lists."""
    if isinstance(x, list | tuple):
        return [to_json(v) for v in x]
    if isinstance(x, dict):
        return {k: to_json(v) for k, v in x.items()}
    if x is None or isinstance(x, str | bool):
        return x
    return float(x)


def from_json(x):
    return tuple(from_json(v) for v in x) if isinstance(x, list) else x
