"""tinygrad_udl/allocator.py: freed array memory is reused instead of faulted in afresh each step."""
import os
import subprocess
import sys

import pytest

from tinygrad_udl import allocator

# A training step's pattern: a graph keeps ~16 MiB of 512 KiB activations alive, then frees them
# all at once. Prints the minor page faults of the last 20 steps (each step touches ~4,000 pages).
_ROUNDS = """
import resource, numpy as np
{setup}
def step():
    kept = [np.ones(1 << 17, np.float32)]
    for _ in range(31):
        kept.append(np.maximum(kept[-1] * 0.5, 0))
    return float(sum(a[0] for a in kept))
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(setup, env=None):
    out = subprocess.run([sys.executable, "-c", _ROUNDS.format(setup=setup)], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not allocator.STATUS.startswith("malloc: glibc"), reason=f"no glibc here: {allocator.STATUS}")
def test_importing_the_library_stops_the_page_faults_of_a_step_loop():
    plain = _faults("")
    tuned = _faults("import tinygrad_udl")
    opted_out = _faults("import tinygrad_udl", {allocator.OPT_OUT: "default"})
    assert plain > 20 * 1000           # glibc hands the memory back and faults it in again
    assert tuned < 100                 # reused: (almost) no fresh pages
    assert opted_out > 20 * 1000       # TINYGRAD_UDL_MALLOC=default leaves malloc alone


def test_the_status_line_says_what_was_done():
    assert allocator.STATUS.startswith("malloc: ")
