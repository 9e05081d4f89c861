"""One run, wherever it executes: `execute_run(function, params, key)` -> its record.

This is the only code a worker runs, on the local process pool, on a Dask worker or in this
process. It imports the run function by its path (`"package.module:function"`, so nothing but
two strings and the parameters travel to the worker), limits BLAS to one thread (the workers
already use every core; the book's small models run fastest single-threaded, see
`commands/threads.py`), calls `function(**params)` and returns a plain-JSON record:

    key       the run's hash (the file name)        function  the import path
    params    the parameters                        status    "ok" or "failed"
    result    what the function returned (a dict of JSON values; None when it failed)
    error     "ValueError: ..." and traceback: the failure (only when it failed)
    seconds   wall time of the call                 worker    host and process id

The result goes through JSON and back before it is returned, so the record a worker hands over
is exactly the one the result file holds (a float32 becomes the float it prints as, a tuple a
list). An exception of the run becomes a failed record, never a crash of the sweep; Ctrl-C
(KeyboardInterrupt) and SystemExit are not caught.
"""
from __future__ import annotations

import importlib
import json
import math
import os
import socket
import time
import traceback

_BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def function_path(function) -> str:
    """`"module:qualname"` for a module-level function (or the string itself, checked)."""
    if isinstance(function, str):
        module, _, name = function.partition(":")
        if not module or not name:
            raise ValueError(f"a run function is named 'package.module:function', got {function!r}")
        return function
    module, name = getattr(function, "__module__", None), getattr(function, "__qualname__", "")
    if not module or not name or "<" in name or module == "__main__":
        raise ValueError(f"{function!r} cannot be sent to a worker: give a function defined at the top level of an "
                         "importable module (or its path 'package.module:function')")
    return f"{module}:{name}"


def resolve(function: str):
    """The function named `"module:qualname"`."""
    module_name, _, name = function_path(function).partition(":")
    target = importlib.import_module(module_name)
    for part in name.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{function} is not callable")
    return target


def limit_blas_threads(n=1):
    """One BLAS thread in this process: for the libraries loaded now (threadpoolctl) and later (the
    environment variables they read when they load). Used as a process pool's initializer."""
    for name in _BLAS_VARIABLES:
        os.environ[name] = str(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a core dependency; run anyway
        return None
    return threadpool_limits(limits=n, user_api="blas")


def ignore_interrupts():
    """A pool worker leaves Ctrl-C to the sweep's own process, which stops the pool (and so the
    worker); a worker that took the signal itself would report it as the run's exception."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def pool_worker_setup():
    ignore_interrupts()
    limit_blas_threads(1)


def jsonable(value, where="result"):
    """`value` with numpy scalars and arrays made Python numbers and lists, tuples made lists;
    anything else that JSON cannot hold is a TypeError naming where it was found."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None if math.isnan(value) else value
    if isinstance(value, dict):
        return {str(k): jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars
        return jsonable(tolist(), where)
    raise TypeError(f"{where}: a run must return plain values (numbers, strings, lists, dicts), got "
                    f"{type(value).__name__}")


def roundtrip(record: dict) -> dict:
    """The record as the result file will hold it."""
    return json.loads(json.dumps(record, allow_nan=True))


def execute_run(function: str, params: dict, key: str) -> dict:
    """Run `function(**params)` with one BLAS thread; the run's record (see the module docstring)."""
    record = {"key": key, "function": function, "params": params, "status": "ok", "result": None}
    start = time.perf_counter()
    limits = limit_blas_threads(1)
    try:
        result = resolve(function)(**params)
        if not isinstance(result, dict):
            raise TypeError(f"{function} must return a dict of results, got {type(result).__name__}")
        record["result"] = jsonable(result)
    except Exception as e:  # noqa: BLE001 -- a failed run is reported, and the others go on
        record.update(status="failed", result=None, error=f"{type(e).__name__}: {e}",
                      traceback=traceback.format_exc())
    finally:
        if limits is not None:
            limits.restore_original_limits()
    record["seconds"] = round(time.perf_counter() - start, 3)
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return roundtrip(record)


def failed_record(function: str, params: dict, key: str, error: str, trace: str = "") -> dict:
    """The record of a run that did not come back (its worker died, the cluster lost it)."""
    return roundtrip({"key": key, "function": function, "params": params, "status": "failed", "result": None,
                      "error": error, "traceback": trace, "seconds": None, "worker": None})
