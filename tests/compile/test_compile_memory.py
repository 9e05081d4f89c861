"""A compiled step holds no more memory than the eager step it records: each trace frees its arrays
when eager mode would (the backward pass's during the sweep, the rest when the call returns), the
program keeps none of them, and its own buffers are allocated on first use (codegen.Layout).

Measured against eager mode with weak references (what is still alive) and tracemalloc (peaks);
no timing."""
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_udl as tg
from tinygrad_udl import nn, optim
from tinygrad_udl.compile import compile
from tinygrad_udl.compile.codegen import Layout
from tinygrad_udl.compile.recorder import Recorder
from tinygrad_udl.nn import functional as F
from compile_runs import classifier_step


def _mlp():
    """Activations (batch 512 x 256 floats, about 0.5 MiB each) outweigh the parameters (0.6 MiB)."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.Tanh(),
                          nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    return model, optim.SGD(model.parameters(), lr=0.01)


def _batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((512, 64)).astype(np.float32), rng.integers(0, 10, 512)


def _alive(refs):
    return [a for a in (r() for r in refs) if a is not None]


def _spy_on_the_tracer(monkeypatch):
    """Weak references to the arrays handed to the tracer (other than arguments, parameters and
    constants), one list per traced call, each as (made by the backward pass, reference)."""
    recorded = []
    emit = Recorder._emit

    def spy(self, instr, value, *args, **kwargs):
        if isinstance(value, np.ndarray) and instr.kind not in ("param", "const") \
                and not any(value is a for a in self.inputs):
            backward = instr.kind in ("add", "unbroadcast", "hooks") or ".vjp" in instr.tag
            recorded[-1].append((backward, weakref.ref(value)))
        return emit(self, instr, value, *args, **kwargs)

    monkeypatch.setattr(Recorder, "_emit", spy)
    return recorded


def test_no_traced_array_outlives_its_use(monkeypatch):
    """As in eager mode: right after `backward()` the only backward-pass arrays alive are the
    gradients in `.grad`; when a traced call returns, nothing it recorded is alive but those
    gradients (so the first trace's arrays are gone before the second runs); and once the program
    has replayed, nothing of either trace is (the replay's `.grad` are the program's own)."""
    recorded = _spy_on_the_tracer(monkeypatch)
    model, opt = _mlp()
    params = list(model.parameters())
    x, y = _batch()
    after_backward = []

    def step(x, y):
        loss = F.cross_entropy(model(tg.Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        backward = [r for made_by_backward, r in recorded[-1] if made_by_backward]   # only traced calls run step
        after_backward.append(({id(a) for a in _alive(backward)}, {id(p.grad.data) for p in params}))
        opt.step()
        return loss.item()

    compiled = compile(step)
    for call in range(2):   # the two traces
        recorded.append([])
        compiled(x, y)
        alive, grads = after_backward[-1]
        assert len(recorded[-1]) > 20 and alive <= grads, f"trace {call + 1}: the backward pass kept its arrays"
        alive = {id(a) for a in _alive([r for _, r in recorded[-1]])}
        assert alive <= {id(p.grad.data) for p in params}, f"trace {call + 1} kept arrays past its call"
    assert list(compiled.stats().values()) == ["replay"]

    for _ in range(2):
        compiled(x, y)
    assert len(after_backward) == 2   # the replays ran the program, not `step`
    assert _alive([r for _, r in recorded[0] + recorded[1]]) == []


def _peak_mib(fn, *args):
    """tracemalloc's peak during fn(*args), above what was allocated when it started."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return (tracemalloc.get_traced_memory()[1] - start) / 2**20
    finally:
        tracemalloc.stop()


def test_tracing_and_building_peak_near_an_eager_step():
    """The call that traces a second time and builds the program peaks where an eager step does
    (it allocates the fused step's flat arrays, not the buffers; before, the tracer held every
    backward-pass array and the buffers were made while it did: 2.6x here), and so does the first
    replay, which allocates the buffers (later replays allocate nothing,
    tests/compile/test_allocations.py)."""
    x, y = _batch()
    model, opt = _mlp()
    eager_step = classifier_step(model, opt)
    eager_step(x, y)   # the optimizer's scratch and the first gradients, as before a traced call
    eager = _peak_mib(eager_step, x, y)

    model, opt = _mlp()
    compiled = compile(classifier_step(model, opt))
    compiled(x, y)
    traced = _peak_mib(compiled, x, y)   # the second trace, then the program is built
    assert list(compiled.stats().values()) == ["replay"]
    first_replay = _peak_mib(compiled, x, y)
    assert eager > 4   # activations and gradients of a step, MiB
    assert traced < 1.15 * eager, f"trace and build: {traced:.1f} MiB, eager step: {eager:.1f} MiB"
    assert first_replay < 1.15 * eager, f"first replay: {first_replay:.1f} MiB, eager step: {eager:.1f} MiB"


@pytest.mark.parametrize("make", [
    lambda: np.empty((3, 4, 5), np.float32),
    lambda: np.empty((3, 4, 5), np.float64, order="F"),
    lambda: np.empty((3, 4, 5), np.float32).transpose(1, 0, 2),   # a permuted layout, as ufuncs keep it
    lambda: np.empty((2, 3, 4, 5), np.float32).transpose(0, 2, 1, 3),   # attention heads split off
    lambda: np.empty((), np.float32),
    lambda: np.empty((0, 3), bool),
])
def test_a_layout_allocates_what_empty_like_would(make):
    """A buffer allocated from its Layout has the traced array's shape, dtype and strides, and owns
    its memory (a view would hide its holders from the reference count the generated code checks)."""
    a = make()
    b = Layout(a).empty()
    like = np.empty_like(a)
    assert (b.shape, b.dtype, b.strides) == (a.shape, a.dtype, a.strides) == (like.shape, like.dtype, like.strides)
    assert b.base is None and b.flags.owndata and b.flags.writeable
    b[...] = 1   # every element is addressable
    assert int(b.sum()) == b.size
