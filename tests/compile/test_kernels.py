"""Every kernel of tinygrad_udl/compile/kernels.py gives its primitive's numbers bit for bit.

Each case applies one primitive to tensors that require grad, backpropagates a random upstream
gradient through it, and compares eager mode with the compiled replay (whose program writes the
forward and the VJPs into its own buffers) on several inputs, bit for bit. A coverage test makes
sure every registered kernel is exercised (and was used, not declined) by some case here, so a new
kernel needs a case.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
from tinygrad_udl.autograd.rules import PRIMITIVES
from tinygrad_udl.autograd.tensor import apply
from tinygrad_udl.compile import CompileWarning, compile
from tinygrad_udl.compile.kernels import KERNELS


def _labels(rng, n, k):
    return rng.integers(0, k, n)


def _blocked_with_a_dead_row(rng):
    """A (3, 5) attention mask (True = blocked) whose row 1 allows no key."""
    blocked = rng.random((3, 5)) < 0.4
    blocked[1] = True
    return blocked


# (primitive, input shapes, parameters as rng -> dict): shapes broadcast where the primitive does
CASES = {
    "add": ([(4, 5), (5,)], None), "sub": ([(4, 5), (4, 1)], None), "mul": ([(2, 4, 5), (4, 5)], None),
    "div": ([(4, 5), (1, 5)], None), "neg": ([(3, 4)], None), "exp": ([(3, 4)], None),
    "tanh": ([(3, 4)], None), "relu": ([(6, 7)], None),
    "sum": ([(4, 5)], lambda rng: {"axis": 0, "keepdims": False}),
    "matmul": ([(4, 6), (6, 3)], None),
    "matmul.batched": ([(2, 3, 4, 6), (2, 3, 6, 5)], None),
    "linear": ([(5, 6), (3, 6), (3,)], None),
    "softmax_cross_entropy": ([(8, 5)], lambda rng: {"labels": _labels(rng, 8, 5), "axis": 1}),
    "softmax": ([(2, 3, 5)], lambda rng: {"axis": -1}),
    "masked_softmax": ([(2, 3, 5)], lambda rng: {"blocked": _blocked_with_a_dead_row(rng), "axis": -1}),
    "masked_softmax.no_mask": ([(4, 6)], lambda rng: {"blocked": None, "axis": 1}),
    "softmax_cross_entropy.tokens": ([(3, 4, 5)], lambda rng: {"labels": rng.integers(0, 5, (3, 4)), "axis": 2}),
    "where": ([(3, 4), (4,)], lambda rng: {"cond": rng.random((3, 4)) < 0.5}),
    "standardize": ([(3, 4, 6)], lambda rng: {"axes": (2,), "eps": 1e-5}),
    "standardize.over_two_axes": ([(3, 4, 6)], lambda rng: {"axes": (1, 2), "eps": 1e-3}),
}
LINEAR_3D = ([(2, 5, 6), (3, 6), (3,)], None)


def _inputs(rng, shapes, dtype):
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return [a + np.sign(a) * 0.1 for a in arrays]   # away from relu's kink at 0


def _run(name, shapes, params, dtype, compiled, calls=4):
    """Losses and gradients over `calls` calls with new inputs and upstream gradients each time;
    with `compiled`, also the compiled function (to inspect its program)."""
    prim = PRIMITIVES[name.split(".")[0]]   # "name.variant": another case of the same primitive
    rng = np.random.default_rng(0)
    tensors = [tg.Tensor(a, requires_grad=True) for a in _inputs(rng, shapes, dtype)]
    kwargs = params(np.random.default_rng(1)) if params else {}

    def step(upstream):
        out = apply(prim, *tensors, **kwargs)
        (out * tg.Tensor(upstream)).sum().backward()
        result = out.data.copy(), [t.grad.data.copy() for t in tensors]
        tg.zero_grad(tensors)
        return result

    fn = compile(step) if compiled else step
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for k in range(calls):
            for t, a in zip(tensors, _inputs(np.random.default_rng(10 + k), shapes, dtype)):
                t.data[...] = a
            out_shape = apply(prim, *[tg.Tensor(t.data) for t in tensors], **kwargs).shape
            results.append(fn(np.random.default_rng(20 + k).standard_normal(out_shape).astype(dtype)))
    return results, fn


def _kernel_tags(fn):
    (entry,) = fn._cache.values()
    return {instr.tag for instr in entry.program if instr.kind == "kernel"}


def _assert_same(eager, replayed):
    for (out1, grads1), (out2, grads2) in zip(eager, replayed):
        assert out1.dtype == out2.dtype and np.array_equal(out1, out2)
        for g1, g2 in zip(grads1, grads2):
            assert g1.dtype == g2.dtype and np.array_equal(g1, g2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_replay_equals_eager(name, dtype):
    shapes, params = CASES[name]
    eager, _ = _run(name, shapes, params, dtype, compiled=False)
    replayed, fn = _run(name, shapes, params, dtype, compiled=True)
    _assert_same(eager, replayed)
    assert name.split(".")[0] in _kernel_tags(fn)


def test_linear_on_a_batch_of_sequences():
    shapes, params = LINEAR_3D
    eager, _ = _run("linear", shapes, params, np.float32, compiled=False)
    replayed, fn = _run("linear", shapes, params, np.float32, compiled=True)
    _assert_same(eager, replayed)
    assert {"linear", "linear.vjp0", "linear.vjp1", "linear.vjp2"} <= _kernel_tags(fn)


def test_every_kernel_is_exercised():
    used = set()
    for name, (shapes, params) in CASES.items():
        used |= _kernel_tags(_run(name, shapes, params, np.float32, compiled=True, calls=2)[1])
    assert set(KERNELS) <= used, f"kernels without a case in this file: {sorted(set(KERNELS) - used)}"


_BROADCAST = st.sampled_from([((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3, 4), (3, 4)), ((1, 4), (3, 1)), ((5,), (5,))])


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["add", "sub", "mul", "div"]), _BROADCAST, st.booleans(),
       st.sampled_from([np.float32, np.float64]))
def test_broadcasting_kernels_replay_exactly(name, shapes, swap, dtype):
    shapes = list(shapes[::-1] if swap else shapes)
    eager, _ = _run(name, shapes, None, dtype, compiled=False, calls=2)
    replayed, _ = _run(name, shapes, None, dtype, compiled=True, calls=2)
    _assert_same(eager, replayed)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(2, 7), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_cross_entropy_kernels_replay_exactly(n, k, dtype, seed):
    params = lambda rng: {"labels": np.random.default_rng(seed).integers(0, k, n), "axis": 1}   # noqa: E731
    eager, _ = _run("softmax_cross_entropy", [(n, k)], params, dtype, compiled=False, calls=2)
    replayed, fn = _run("softmax_cross_entropy", [(n, k)], params, dtype, compiled=True, calls=2)
    _assert_same(eager, replayed)
    assert {"softmax_cross_entropy", "softmax_cross_entropy.vjp0"} <= _kernel_tags(fn)
    (entry,) = fn._cache.values()   # the VJP divides what the forward kept instead of recomputing it
    (vjp,) = [i for i in entry.program if i.kind == "kernel" and i.tag == "softmax_cross_entropy.vjp0"]
    assert len(vjp.extra.forward_saved) == 2


def test_extreme_logits_take_the_same_path():
    """Logits of +-inf and huge values: the max shift (0 where it is not finite) is the same code."""
    prim = PRIMITIVES["softmax_cross_entropy"]
    logits = np.array([[1e30, -1e30, 0.0], [np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    with np.errstate(all="ignore"):
        x = tg.Tensor(logits, requires_grad=True)

        def step():
            loss = apply(prim, x, labels=np.array([0, 1, 2]), axis=1).sum()
            loss.backward()
            g = x.grad.data.copy()
            tg.zero_grad([x])
            return loss.item(), g
        eager = [step() for _ in range(3)]
        fn = compile(step)
        got = [fn() for _ in range(3)]
    for (l1, g1), (l2, g2) in zip(eager, got):
        assert np.array_equal(l1, l2, equal_nan=True) and np.array_equal(g1, g2, equal_nan=True)


def test_buffers_are_not_shared_with_what_the_caller_kept():
    """A gradient the caller kept from one call is not overwritten by the next replay."""
    w = tg.Tensor(np.ones((3, 4), np.float32), requires_grad=True)

    @compile
    def step(x):
        (tg.Tensor(x) @ w.T).relu().sum().backward()
        g = w.grad.data   # the replay hands out its gradient buffer itself
        w.grad = None
        return g

    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((5, 4)).astype(np.float32) for _ in range(5)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        kept = [step(x) for x in xs]
    assert list(step.stats().values()) == ["replay"]
    for x, g in zip(xs, kept):
        expected = ((x @ np.ones((4, 3), np.float32)) > 0).astype(np.float32).T @ x
        assert np.allclose(g, expected, rtol=1e-6)
    assert len({id(g) for g in kept}) == len(kept)


@pytest.mark.parametrize("forward_kernel", [True, False])
def test_layer_norm_vjp_with_and_without_the_forward_statistics(forward_kernel, monkeypatch):
    """The VJP kernel takes 1/sqrt(var + eps) from the forward kernel, or (forward without kernel)
    computes it from x as the eager VJP does: the same numbers either way."""
    if not forward_kernel:
        monkeypatch.setitem(KERNELS, "standardize", lambda site: None)
    shapes, params = CASES["standardize.over_two_axes"]
    eager, _ = _run("standardize", shapes, params, np.float32, compiled=False)
    replayed, fn = _run("standardize", shapes, params, np.float32, compiled=True)
    _assert_same(eager, replayed)
    (entry,) = fn._cache.values()
    (vjp,) = [i for i in entry.program if i.kind == "kernel" and i.tag == "standardize.vjp0"]
    assert ("standardize" in _kernel_tags(fn)) == forward_kernel
    assert bool(vjp.extra.forward_saved) == forward_kernel
