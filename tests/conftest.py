"""Shared test settings.

Hypothesis profile "ci" (loaded by default): no per-example deadline (the machine is shared and
loaded, and a deadline would turn slowness into flaky failures), a moderate number of examples,
and no example database written into the source tree. Tests that are expensive per example set a
smaller `max_examples` themselves. Run `HYPOTHESIS_PROFILE=thorough pytest ...` for a long search.
"""
import os

# One BLAS thread: the tests use small matrices, and on a shared 2-core machine (CI) OpenBLAS's
# threads wait for each other at every call (measured: a 1,000-step training run took 33 s with
# two threads under load, 1.8 s with one). Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, derandomize=False, max_examples=50, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
