"""tinygrad_udl.compile: replays agree with eager execution bit for bit (values, gradients,
optimizer state, random streams, running statistics), retrace on new shapes, fall back with a
warning where a replay cannot be trusted. No timing asserts."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
from tinygrad_udl import nn, optim
from tinygrad_udl.compile import CompileWarning, compile
from tinygrad_udl.nn import functional as F
from tinygrad_udl.zoo.supervised.mnist1d_cnn import MNIST1DCNN
from compile_runs import classifier_step, compiled_calls, optimizer_step


def _batches(shape, n=6, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, shape[0])) for _ in range(n)]


def _run(make, batches, compiled, seed=0):
    """Train a fresh model for len(batches) steps; the losses, parameters, grads and optimizer state."""
    tg.manual_seed(seed)
    model, opt = make()

    step = classifier_step(model, opt)

    fn = compile(step) if compiled else step
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        losses = [fn(x, y) for x, y in batches]
    state = {k: np.array(v) for k, v in model.state_dict().items()}
    grads = [p.grad.data.copy() for p in model.parameters()]
    opt_state = [{k: np.array(v) for k, v in s.items()} for s in opt.state.values()]
    after = float(np.asarray(tg.default_rng().random()))   # the library's generator after training
    return losses, state, grads, opt_state, after, fn


def _assert_same(a, b):
    assert a[0] == b[0]                     # losses, bit for bit
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        assert np.array_equal(a[1][k], b[1][k]), k
    for x, y in zip(a[2], b[2]):
        assert np.array_equal(x, y)
    assert len(a[3]) == len(b[3])
    for s, t in zip(a[3], b[3]):
        for k in s:
            assert np.array_equal(s[k], t[k]), k
    assert a[4] == b[4]                     # the random stream advanced alike


def _mlp_sgd():
    model = nn.Sequential(nn.Linear(40, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    return model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def _mlp_adam():
    model = nn.Sequential(nn.Linear(40, 32), nn.Tanh(), nn.Linear(32, 10))
    return model, optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)


def _cnn():
    model = MNIST1DCNN(rng=0)
    return model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def _dropout():
    model = nn.Sequential(nn.Linear(40, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
    return model, optim.SGD(model.parameters(), lr=0.05)


def _dropout_own_rng():
    model = nn.Sequential(nn.Linear(40, 32), nn.ReLU(), nn.Dropout(0.5, rng=np.random.default_rng(3)),
                          nn.Linear(32, 10))
    return model, optim.AdamW(model.parameters(), lr=1e-3)


def _batchnorm():
    model = nn.Sequential(nn.Linear(40, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10))
    return model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


@pytest.mark.parametrize("make, shape", [(_mlp_sgd, (16, 40)), (_mlp_adam, (16, 40)), (_cnn, (16, 1, 40)),
                                         (_dropout, (16, 40)), (_dropout_own_rng, (16, 40)),
                                         (_batchnorm, (16, 40))],
                         ids=["mlp-sgd", "mlp-adam", "cnn", "dropout", "dropout-rng", "batchnorm"])
def test_compiled_training_agrees_with_eager(make, shape):
    batches = _batches(shape, n=7)
    eager = _run(make, batches, compiled=False)
    compiled = _run(make, batches, compiled=True)
    _assert_same(eager, compiled)
    assert set(compiled[-1].stats().values()) == {"replay"}   # the last steps were replays


def test_batchnorm_running_statistics_follow_eager():
    batches = _batches((16, 40), n=6)
    eager = _run(_batchnorm, batches, compiled=False)
    compiled = _run(_batchnorm, batches, compiled=True)
    for k in ("1.running_mean", "1.running_var"):
        assert np.array_equal(eager[1][k], compiled[1][k])
        assert not np.array_equal(compiled[1][k], np.zeros(32) if "mean" in k else np.ones(32))


def test_a_new_shape_traces_again():
    tg.manual_seed(0)
    model, opt = _mlp_sgd()
    calls = []

    @compile
    def step(x, y):
        calls.append(x.shape)
        return optimizer_step(opt, F.cross_entropy(model(tg.Tensor(x)), y))

    for x, y in _batches((16, 40), n=3) + _batches((8, 40), n=3) + _batches((16, 40), n=1):
        step(x, y)
    # two traces per shape run the Python body; replays do not
    assert calls == [(16, 40), (16, 40), (8, 40), (8, 40)]
    assert list(step.stats().values()) == ["replay", "replay"]


def test_data_dependent_control_flow_falls_back_with_a_warning():
    w = tg.Tensor(np.ones(3, np.float32), requires_grad=True)

    def step(x):
        out = (w * tg.Tensor(x)).sum()
        if out.item() > 0:      # Python control flow on a value
            out = out * 2.0
        else:
            out = out.exp()
        out.backward()
        g = w.grad.data.copy()
        tg.zero_grad([w])
        return g

    compiled = compile(step)
    xs = [np.full(3, s, np.float32) for s in (1.0, -1.0, 1.0, -2.0)]
    with pytest.warns(CompileWarning, match="changed between calls"):
        got = [compiled(x) for x in xs]
    want = [step(x) for x in xs]
    for a, b in zip(got, want):
        assert np.array_equal(a, b)
    assert list(compiled.stats().values()) == ["eager"]


def test_numpy_writes_inside_the_function_fall_back():
    w = tg.Tensor(np.ones(3, np.float32), requires_grad=True)

    def step(x):
        (w * tg.Tensor(x)).sum().backward()
        with tg.no_grad():
            w.add_(tg.Tensor(-0.1 * w.grad.data))
        tg.zero_grad([w])
        return w.data.copy()

    compiled = compile(step)
    with pytest.warns(CompileWarning, match="add_"):
        compiled(np.ones(3, np.float32))
    compiled(np.ones(3, np.float32))
    assert list(compiled.stats().values()) == ["eager"]


def test_a_tensor_that_requires_grad_made_inside_falls_back():
    """Its gradient would go to the tensor of the first call: refused, and eager gives the right grads."""
    def step(x):
        t = tg.Tensor(x, requires_grad=True)
        (t * t).sum().backward()
        return t.grad.data.copy()

    compiled = compile(step)
    xs = [np.arange(3, dtype=np.float32) + k for k in range(3)]
    with pytest.warns(CompileWarning, match="made inside the compiled function"):
        grads = [compiled(x) for x in xs]
    for x, g in zip(xs, grads):
        assert np.array_equal(g, 2 * x)


def test_arguments_of_one_element_are_read_at_every_replay():
    """`Tensor(x)` copies its argument; a copy of one element is still the argument (not a constant)."""
    w = tg.Tensor(np.ones(1, np.float32), requires_grad=True)

    @compile
    def step(x):
        loss = (w * tg.Tensor(x)).sum()
        loss.backward()
        g = w.grad.data.copy()
        tg.zero_grad([w])
        return loss.item(), g

    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        got = [step(np.array([v], np.float32)) for v in (2.0, 3.0, 5.0, 7.0)]
    assert [loss for loss, _ in got] == [2.0, 3.0, 5.0, 7.0]
    assert [g.item() for _, g in got] == [2.0, 3.0, 5.0, 7.0]


def test_hooks_on_parameters_replay_and_intermediate_hooks_fall_back():
    def run(compiled):
        w = tg.Tensor(np.arange(3, dtype=np.float32), requires_grad=True)
        w.register_hook(lambda g: g * 2)
        seen = []

        def step(x):
            (w * tg.Tensor(x)).tanh().sum().backward()
            g = w.grad.data.copy()
            seen.append(1)
            tg.zero_grad([w])
            return g

        fn = compile(step) if compiled else step
        return [fn(np.full(3, s, np.float32)) for s in (0.5, 1.0, 1.5, 2.0)], fn

    eager, _ = run(False)
    got, fn = run(True)
    for a, b in zip(eager, got):
        assert np.array_equal(a, b)
    assert list(fn.stats().values()) == ["replay"]

    w = tg.Tensor(np.ones(3, np.float32), requires_grad=True)

    def step(x):
        h = w * tg.Tensor(x)
        h.register_hook(lambda g: g * 3)
        h.sum().backward()
        g = w.grad.data.copy()
        tg.zero_grad([w])
        return g

    compiled = compile(step)
    with pytest.warns(CompileWarning, match="hook on an intermediate"):
        got = compiled(np.ones(3, np.float32))
    assert np.array_equal(got, np.full(3, 3, np.float32))   # computed eagerly, with the hook
    assert np.array_equal(compiled(np.ones(3, np.float32)), got)


def test_returns_tensors_arrays_and_numbers():
    w = tg.Tensor(np.ones((3, 2), np.float32), requires_grad=True)

    @compile
    def f(x):
        out = tg.Tensor(x) @ w
        loss = (out * out).mean()
        loss.backward()
        g = w.grad
        tg.zero_grad([w])
        return {"loss": loss.item(), "out": out, "grad": g.data}

    xs = [np.random.default_rng(i).standard_normal((4, 3)).astype(np.float32) for i in range(4)]
    for x in xs:
        r = f(x)
        out = x @ np.ones((3, 2), np.float32)
        assert np.array_equal(r["out"].numpy(), out)
        assert r["loss"] == float(np.float32((out * out).mean()))
        assert isinstance(r["loss"], float)
        assert np.allclose(r["grad"], x.T @ (2 * out / out.size), rtol=1e-6)


# ---- Hypothesis: random small programs ------------------------------------------------------------

_UNARY = ["tanh", "relu", "exp_small", "neg", "square", "sigmoid"]
_BINARY = ["add", "mul", "sub", "matmul"]
_REDUCE = ["sum0", "mean1", "none"]


def _apply(op, a, b=None):
    if op == "tanh":
        return a.tanh()
    if op == "relu":
        return a.relu()
    if op == "exp_small":
        return (a * 0.1).exp()
    if op == "neg":
        return -a
    if op == "square":
        return a * a
    if op == "sigmoid":
        return a.sigmoid()
    if op == "add":
        return a + b
    if op == "mul":
        return a * b
    if op == "sub":
        return a - b
    if op == "matmul":
        return a @ b.T / 3.0
    raise AssertionError(op)


programs = st.lists(st.tuples(st.sampled_from(_UNARY + _BINARY), st.integers(0, 10), st.integers(0, 10),
                              st.sampled_from(_REDUCE)), min_size=1, max_size=6)


@settings(max_examples=25)
@given(programs, st.sampled_from([np.float32, np.float64]))
def test_random_programs_replay_exactly(prog, dtype):
    """Random compositions of elementwise, broadcasting, reduction and matmul ops on (3, 3) and
    (3,) tensors: the replayed loss and gradients equal eager's bit for bit."""
    def run(compiled):
        rng = np.random.default_rng(0)
        params = [tg.Tensor(rng.standard_normal((3, 3)).astype(dtype), requires_grad=True),
                  tg.Tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)]

        def f(x):
            vals = [tg.Tensor(x)] + params
            for op, i, j, red in prog:
                a, b = vals[i % len(vals)], vals[j % len(vals)]
                if op == "matmul" and (a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]):
                    op = "mul"
                out = _apply(op, a, b)
                if red == "sum0" and out.ndim == 2:
                    out = out.sum(axis=0)
                elif red == "mean1" and out.ndim == 2:
                    out = out.mean(axis=1, keepdims=True)
                vals.append(out)
            loss = (vals[-1] * vals[-1]).sum() + 0.0 * sum(p.sum() for p in params)
            loss.backward()
            grads = [p.grad.data.copy() for p in params]
            tg.zero_grad(params)
            return loss.item(), grads

        fn = compile(f) if compiled else f
        xs = [np.random.default_rng(k).standard_normal((3, 3)).astype(dtype) for k in range(1, 5)]
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            return [fn(x) for x in xs], fn

    eager, _ = run(False)
    got, fn = run(True)
    assert list(fn.stats().values()) == ["replay"]
    for (l1, g1), (l2, g2) in zip(eager, got):
        assert l1 == l2 or (l1 != l1 and l2 != l2)
        for a, b in zip(g1, g2):
            assert np.array_equal(a, b, equal_nan=True)


def test_constant_expressions_are_folded_and_passed_on_gradients_aliased():
    """A tensor expression of constants only is computed once, when compiling; a VJP that hands
    back its upstream gradient (add's) becomes an alias, not a call. Same numbers as eager."""
    w = tg.Tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)

    def step(x):
        mask = (tg.Tensor(np.arange(3, dtype=np.float32)) * 2.0).exp()   # constants only
        loss = ((tg.Tensor(x) @ w.T) + 1.0).sum() + (w * mask).sum()
        loss.backward()
        g = w.grad.data.copy()
        tg.zero_grad([w])
        return loss.item(), g

    xs = [np.random.default_rng(k).standard_normal((4, 3)).astype(np.float32) for k in range(4)]
    eager = [step(x) for x in xs]
    got, compiled = compiled_calls(step, xs)
    for (l1, g1), (l2, g2) in zip(eager, got):
        assert l1 == l2 and np.array_equal(g1, g2)
    (entry,) = compiled._cache.values()
    kinds = {(i.kind, i.tag) for i in entry.program}
    assert ("const", "exp") in kinds and ("const", "mul") in kinds
    assert ("alias", "add.vjp0") in kinds


def test_a_result_computed_in_numpy_is_not_baked_in():
    """`int(net(x).numpy().argmax())` is numpy's work on the program's output: a replay could only
    return the traced value, so the function runs eagerly (with a warning) and stays right even when
    the two traced calls gave the same answer."""
    w = tg.Tensor(np.array([[1.0, -1.0]], np.float32), requires_grad=True)

    def act(s):
        with tg.no_grad():
            return int((tg.Tensor(s) @ w).numpy().argmax())

    compiled = compile(act)
    states = [np.array([[1.0]], np.float32)] * 2 + [np.array([[-1.0]], np.float32)]
    with pytest.warns(CompileWarning, match="computed outside the library's operations"):
        actions = [compiled(s) for s in states]
    assert actions == [0, 0, 1]


def test_masks_from_tensor_comparisons_are_recomputed_at_every_replay():
    """A mask made with a tensor comparison (here PReLU's x > 0, and argmax) is a step of the
    program: the first two calls see the same mask, later ones a different one, and every replay
    follows the data (a mask computed from `.data` in numpy would stay the traced one)."""
    slope = tg.Tensor(np.array([0.25], np.float32), requires_grad=True)

    def step(x):
        y = F.prelu(tg.Tensor(x), slope)
        loss = (y * y).sum()
        loss.backward()
        g = slope.grad.data.copy()
        tg.zero_grad([slope])
        return loss.item(), g, tg.Tensor(x).argmax()

    same = np.array([[1.0, -2.0, 3.0]], np.float32)
    xs = [same, same * 1.5, np.array([[-1.0, 2.0, -3.0]], np.float32), np.array([[4.0, 5.0, -0.5]], np.float32)]
    eager = [step(x) for x in xs]
    got, compiled = compiled_calls(step, xs)
    assert list(compiled.stats().values()) == ["replay"]
    for (l1, g1, a1), (l2, g2, a2) in zip(eager, got):
        assert l1 == l2 and np.array_equal(g1, g2) and a1.item() == a2.item()
    assert [a.item() for _, _, a in got] == [2, 2, 1, 1]


def test_attention_rows_without_an_allowed_key_after_tracing():
    """The mask is an argument: traced with every row allowed, replayed with a row fully blocked.
    Eager mode gives that row zero weights; the replay must too (a program made from the traced
    calls alone, where no row was dead, could give it a plain softmax's NaN)."""
    from tinygrad_udl.nn.attention import attention

    rng = np.random.default_rng(0)
    q = tg.Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    kv = tg.Tensor(rng.standard_normal((5, 4)).astype(np.float32))

    def step(mask):
        out, _ = attention(q, kv, kv, attn_mask=mask)
        loss = (out * out).sum()
        loss.backward()
        g = q.grad.data.copy()
        tg.zero_grad([q])
        return loss.item(), g

    open_rows = np.zeros((3, 5), bool)
    one_dead = open_rows.copy()
    one_dead[1] = True
    masks = [open_rows, open_rows, one_dead, open_rows]
    eager = [step(m) for m in masks]
    got, compiled = compiled_calls(step, masks)
    assert list(compiled.stats().values()) == ["replay"]
    assert np.isfinite(eager[2][0]) and np.all(eager[2][1][1] == 0)
    for (l1, g1), (l2, g2) in zip(eager, got):
        assert l1 == l2 and np.array_equal(g1, g2)


def test_a_lambda_compiles_and_replays():
    """The generated function is named after fn, made an identifier ("<lambda>" is a keyword otherwise)."""
    w = tg.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    xs = [np.array([0.1, 0.2, 0.3]) * k for k in range(1, 5)]
    got, step = compiled_calls(lambda x: ((w * x).tanh().sum()).item(), xs)
    assert list(step.stats().values()) == ["replay"] and "def lambda_(" in step.source(xs[0])
    assert got == [float(np.tanh(w.data * x).sum()) for x in xs]


def test_a_no_gradient_numpy_call_named_like_a_kernel_replays_as_itself():
    """`no_grad_op(np.where, ...)` is a numpy call, not the `where` primitive whose kernel shares its
    name: the replay runs np.where on each batch's data."""
    from tinygrad_udl.autograd.tensor import no_grad_op

    def step(x):
        t = tg.Tensor(x)
        return no_grad_op(np.where, t > 0, t, 0.0).numpy().copy()

    batches = [np.array([1.0, -2.0, 3.0]), np.array([1.0, -2.0, 3.0]), np.array([-1.0, 2.0, -3.0]),
               np.array([4.0, 5.0, -6.0])]
    got, compiled = compiled_calls(step, batches)
    assert list(compiled.stats().values()) == ["replay"]
    for x, g in zip(batches, got):
        assert np.array_equal(g, np.where(x > 0, x, 0.0))


@pytest.mark.parametrize("draw", ["rsample", "multivariate_rsample", "input_noise"])
def test_the_library_draws_are_made_anew_at_every_replay(draw):
    """Normal.rsample, MultivariateNormal.rsample and add_input_noise draw through
    `compile.recorder.drawn`: a replay draws fresh noise from the same Generator, as eager mode
    does (a draw wrapped by hand would be a constant of the program, the traced noise forever)."""
    from tinygrad_udl.distributions import MultivariateNormal, Normal
    from tinygrad_udl.nn.regularize import add_input_noise

    def run(compiled):
        w = tg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        rng = np.random.default_rng(7)

        def step(x):
            if draw == "rsample":
                z = Normal(tg.Tensor(x) * w, w.exp()).rsample(rng=rng)
            elif draw == "multivariate_rsample":
                z = MultivariateNormal(tg.Tensor(x) * w, scale_tril=np.eye(3)).rsample(rng=rng)
            else:
                z = add_input_noise(tg.Tensor(x) * w, 0.5, rng=rng)
            loss = (z * z).sum()
            loss.backward()
            g = w.grad.data.copy()
            tg.zero_grad([w])
            return loss.item(), g

        xs = [np.full(3, float(k)) for k in range(1, 6)]
        got = compiled_calls(step, xs)[0] if compiled else [step(x) for x in xs]
        return got, rng.bit_generator.state

    (eager, eager_state), (replayed, replayed_state) = run(False), run(True)
    assert eager_state == replayed_state
    for (l1, g1), (l2, g2) in zip(eager, replayed):
        assert l1 == l2 and np.array_equal(g1, g2)
    assert len({loss for loss, _ in replayed}) == len(replayed)   # fresh noise: no two losses alike
