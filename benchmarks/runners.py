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
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


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
    """A system's case in this process."""

    def __init__(self, system_case):
        self.system_case, self.case = system_case, None

    def start(self, warmup):
        """Build the case; its check value (or the first warm-up step's result); `warmup` untimed steps."""
        try:
            self.case = self.system_case.make()
            check = self.case.check()
            for i in range(warmup):
                out = self.case.step()
                if i == 0 and check is None:
                    check = out
        except Exception as exc:  # a system that cannot run the workload is reported, not fatal
            raise CaseFailed.of(exc) from exc
        return check

    def step(self):
        """(seconds, result) of one step."""
        try:
            t0 = time.perf_counter()
            out = self.case.step()
            return time.perf_counter() - t0, out
        except Exception as exc:
            raise CaseFailed.of(exc) from exc

    def extras(self) -> dict:
        return self.case.extras()

    def close(self):
        self.case = None


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
