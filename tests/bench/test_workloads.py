"""Every workload runs for every installed system, and the systems compute the same numbers.

Independent references: the numpy floors are checked against central finite differences in
float64 (their gradients are written by hand), the scalar chain against its closed-form
derivative; the other systems must then agree with the floors. Optional peers (PyTorch,
micrograd, HIPS autograd, JAX) are included when installed; tinygrad_udl and the floors always run.
"""
import math
import warnings

import numpy as np
import pytest

from tinygrad_udl.compile import CompileWarning

from benchmarks import (
    classifier,
    harness,
    w1_scalar_mlp,
    w1b_chain,
    w2_overhead,
    w3_mnist1d_mlp,
    w4_mnist1d_cnn,
    w5_gemm_mlp,
    w6_transformer,
)
from benchmarks.harness import JAX, NUMPY, OURS


def installed_cases(wl):
    return [sc for sc in wl.cases if sc.skip is None and harness.installed(sc.requires)]


def first_check(sc):
    case = sc.make()
    value = case.check()
    return case, (case.step() if value is None else value)


def assert_all_agree(wl, must_include):
    checks = {sc.system: first_check(sc)[1] for sc in installed_cases(wl)}
    checks = {system: value for system, value in checks.items() if value is not None}  # reference kernels
    assert must_include <= set(checks), f"{wl.key}: {sorted(checks)}"
    ref = np.atleast_1d(np.array(checks[next(iter(checks))], dtype=float))
    for system, value in checks.items():
        np.testing.assert_allclose(np.atleast_1d(np.array(value, dtype=float)), ref, rtol=10 * wl.check_rtol,
                                   atol=wl.check_atol, err_msg=f"{wl.key}: {system}")
    return checks


def central_difference(f, params, eps=1e-6):
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = f()
            p[idx] = old - eps
            down = f()
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


# ---- W1 / W1b ---------------------------------------------------------------------------------------


def test_w1_all_systems_take_the_same_first_step():
    (wl,) = w1_scalar_mlp.workloads(quick=True)
    checks = assert_all_agree(wl, {f"{OURS} Value", f"{OURS} Tensor", "numpy (hand)"})
    # independent: the initial loss recomputed here from the shared weights and data
    x, y = w1_scalar_mlp.moons()
    h = x
    layers = w1_scalar_mlp.initial_weights()
    for i, (w, b) in enumerate(layers):
        h = h @ np.array(w).T + np.array(b)
        h = np.maximum(h, 0) if i < len(layers) - 1 else h
    reg = sum(np.sum(np.square(w)) + np.sum(np.square(b)) for w, b in layers)
    expected = np.maximum(1 - y[:, None] * h, 0).mean() + w1_scalar_mlp.ALPHA * reg
    assert checks[f"{OURS} Value"] == pytest.approx(expected, rel=1e-12)


def test_w1_micrograd_gets_the_same_weights_or_is_reported_missing():
    ours = w1_scalar_mlp.ours_scalar()
    assert len(ours.params) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    if not harness.installed("micrograd"):
        (wl,) = w1_scalar_mlp.workloads(quick=True)
        wl.cases = [sc for sc in wl.cases if sc.system == "micrograd"]
        assert harness.run_workload(wl, memory=False).rows[0].status == "not installed"
        return
    micro = w1_scalar_mlp.micrograd_scalar()
    assert sorted(p.data for p in ours.params) == sorted(p.data for p in micro.params)


@pytest.mark.parametrize("n", [1, 5, 40])
def test_w1b_chains_match_the_closed_form(n):
    x, derivative = w1b_chain.X0, 1.0
    for _ in range(n):
        x = math.tanh(0.9 * x + 0.1)
        derivative *= 0.9 * (1 - x * x)
    cases = [w1b_chain.ours(n), w1b_chain.FloatChain(n)]
    for module, make in (("torch", w1b_chain.TorchChain), ("autograd", w1b_chain.AutogradChain),
                         ("micrograd", w1b_chain.micrograd)):
        if harness.installed(module):
            cases.append(make(n))
    for case in cases:
        value, grad = case.step()
        assert value == pytest.approx(x, rel=1e-12) and grad == pytest.approx(derivative, rel=1e-9), type(case)


def test_w1b_micrograd_hits_the_recursion_limit_and_ours_does_not():
    (wl,) = [wl for wl in w1b_chain.workloads(quick=True) if wl.key == "W1b-1e3"]
    res = harness.run_workload(wl, repeats=1, memory=False)
    status = {r.system: r.status for r in res.rows}
    assert status[f"{OURS} Value"] == "ok"
    if harness.installed("micrograd"):
        assert status["micrograd"] == "RecursionError"


# ---- W2 ---------------------------------------------------------------------------------------------


def test_w2_systems_agree_with_numpy_written_here():
    (wl,) = w2_overhead.workloads(quick=True)
    checks = assert_all_agree(wl, {OURS, "numpy (hand)"})
    a, b, c = (x.astype(np.float64) for x in w2_overhead._inputs())
    t = np.tanh(a * b + c)
    expected = (t.sum(), ((1 - t * t) * b).sum(), ((1 - t * t) * a).sum(), (1 - t * t).sum())
    np.testing.assert_allclose(checks[OURS], expected, rtol=1e-5)


def test_w2_step_runs_the_inner_loop():
    case = w2_overhead.Ours(inner=3)
    case.step()
    assert all(t.grad is None for t in case.abc)  # gradients cleared after every iteration


# ---- classifiers (W3, W4, W5) -----------------------------------------------------------------------

TINY_MLP = (("linear", 6, 5), ("relu",), ("linear", 5, 4), ("relu",), ("linear", 4, 3))
TINY_CNN = (("conv1d", 2, 3, 3, 2), ("relu",), ("conv1d", 3, 2, 3, 1), ("relu",), ("flatten",), ("linear", 6, 3))


def tiny_data(arch, dtype, n=7, seed=1):
    rng = np.random.default_rng(seed)
    shape = (n, 2, 11) if arch[0][0] == "conv1d" else (n, arch[0][1])
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, 3, n)


@pytest.mark.parametrize("arch", [TINY_MLP, TINY_CNN], ids=["mlp", "cnn"])
def test_numpy_floor_gradients_match_finite_differences(arch):
    trainer = classifier.NumpyTrainer(arch, classifier.initial_parameters(arch, dtype=np.float64), 0.1, 0.0)
    x, y = tiny_data(arch, np.float64)
    # seeded random inputs: no pre-activation lies within eps of a ReLU kink (that would spoil the differences)
    _, grads = trainer._loss_and_grads(x, y)
    expected = central_difference(lambda: trainer.loss(x, y), trainer.params)
    assert len(grads) == len(expected)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-8)


TRAINERS = {OURS: classifier.OursNN, f"{OURS} raw": classifier.OursRaw, "pytorch": classifier.TorchTrainer,
            "autograd": classifier.AutogradTrainer, JAX: classifier.JaxTrainer}
REQUIRES = {"pytorch": "torch", "autograd": "autograd", JAX: "jax"}


@pytest.mark.parametrize("arch", [TINY_MLP, TINY_CNN], ids=["mlp", "cnn"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_every_trainer_follows_the_numpy_floor_for_three_steps(arch, momentum):
    params = classifier.initial_parameters(arch)
    x, y = tiny_data(arch, np.float32)
    ref = classifier.NumpyTrainer(arch, params, 0.1, momentum)
    expected = [ref.train_step(x, y) for _ in range(3)] + [ref.loss(x, y)]
    ran = []
    for name, cls in TRAINERS.items():
        if not harness.installed(REQUIRES.get(name)) or (cls is classifier.OursRaw and arch is TINY_CNN):
            continue
        t = cls(arch, params, 0.1, momentum)
        got = [t.train_step(x, y) for _ in range(3)] + [t.loss(x, y)]
        np.testing.assert_allclose(got, expected, rtol=1e-5, err_msg=name)
        np.testing.assert_allclose(t.logits(x), ref.logits(x), rtol=1e-4, atol=1e-5, err_msg=name)
        ran.append(name)
    assert OURS in ran


def test_trainers_do_not_change_the_shared_initial_parameters():
    params = classifier.initial_parameters(TINY_MLP)
    before = [p.copy() for p in params]
    x, y = tiny_data(TINY_MLP, np.float32)
    for name, cls in TRAINERS.items():
        if harness.installed(REQUIRES.get(name)):
            cls(TINY_MLP, params, 0.1, 0.9).train_step(x, y)
    for p, q in zip(params, before):
        np.testing.assert_array_equal(p, q)


def test_w3_w4_w5_initial_losses_agree():
    for module, floor in ((w3_mnist1d_mlp, "numpy (hand)"), (w4_mnist1d_cnn, "numpy (hand)"),
                          (w5_gemm_mlp, "numpy (hand)")):
        (wl,) = module.workloads(quick=True)
        checks = assert_all_agree(wl, {OURS, floor})
        assert 1.5 < checks[OURS] < 5  # about log(10) for a fresh 10-class classifier


@pytest.mark.parametrize("module", [w2_overhead, w3_mnist1d_mlp, w4_mnist1d_cnn, w5_gemm_mlp],
                         ids=["W2", "W3", "W4", "W5"])
def test_jax_rows_agree_with_the_numpy_floor(module):
    (wl,) = module.workloads(quick=True)
    jax_case = wl.case(JAX)
    assert jax_case.requires == "jax" and jax_case.memory_methods == ("rss",)  # XLA's buffers are not numpy's
    if not harness.installed("jax"):
        pytest.skip("jax is not installed (it is in the bench extra only)")
    (jax_run, jax_check), (floor_run, floor_check) = first_check(jax_case), first_check(wl.case(NUMPY))
    np.testing.assert_allclose(jax_check, floor_check, rtol=wl.check_rtol, atol=wl.check_atol)
    if module is w5_gemm_mlp:  # a whole timed sample: several steps through the donated buffers
        np.testing.assert_allclose(jax_run.step(), floor_run.step(), rtol=1e-4)


def test_w3_epoch_uses_every_example_once_and_reports_accuracy():
    arch = (("linear", 40, 3), ("relu",), ("linear", 3, 10))
    data = w3_mnist1d_mlp.mnist1d()
    seen = []

    class Spy(classifier.NumpyTrainer):
        def train_step(self, x, y):
            seen.append(len(y))
            return super().train_step(x, y)

    case = classifier.EpochCase(Spy(arch, classifier.initial_parameters(arch), 0.05, 0.9), data, 100)
    case.step()
    assert sum(seen) == len(data[1]) == 4000 and set(seen) == {100}
    (acc,) = case.extras().values()
    assert acc.endswith("%") and 0 <= float(acc[:-1]) <= 100


def test_w4_features_are_the_figure_s_60():
    assert w4_mnist1d_cnn.ARCH[-1] == ("linear", 60, 10)
    n_params = sum(p.size for p in classifier.initial_parameters(w4_mnist1d_cnn.ARCH))
    assert n_params == 2050  # fig. 10.7


def test_w5_gflops_are_reported_against_the_matmul_row():
    (wl,) = w5_gemm_mlp.workloads(quick=True)
    wl.cases = [sc for sc in wl.cases if sc.system in (OURS, w5_gemm_mlp.MATMUL)]
    res = harness.run_workload(wl, repeats=1, memory=False)
    notes = {row[0]: row[-1] for row in harness.result_rows(res)[1:]}
    assert f"of {w5_gemm_mlp.MATMUL}" in notes[OURS] and "GFLOP/s" in notes[w5_gemm_mlp.MATMUL]


def test_w5_flop_count_by_hand():
    b = 512
    forward = 2 * b * (512 * 1024 + 1024 * 1024 + 1024 * 10)
    assert w5_gemm_mlp.step_flops() == 3 * forward - 2 * b * 512 * 1024


# ---- W6 ---------------------------------------------------------------------------------------------


def test_w6_systems_agree():
    (wl,) = w6_transformer.workloads(quick=True)
    assert_all_agree(wl, {f"{OURS} composed", "numpy (hand)"})


def test_w6_compiled_iterations_equal_eager_ones():
    """The compiled row replays the nn row's iteration bit for bit (losses and every gradient)."""
    eager, compiled = w6_transformer.OursNN(), w6_transformer.OursCompiled()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for _ in range(4):
            (l1, g1), (l2, g2) = eager.iteration(), compiled.iteration()
            assert l1 == l2 and all(np.array_equal(a, b) for a, b in zip(g1, g2))
    assert list(compiled.forward_backward.stats().values()) == ["replay"]


def test_w6_numpy_backward_matches_finite_differences_of_its_forward():
    """Directional derivative of the hand-written layer (float64 copy) along a random direction."""
    case = w6_transformer.Numpy()
    case.x = case.x.astype(np.float64)
    case.params = [p.astype(np.float64) for p in case.params]
    _, grads = case.iteration()
    rng = np.random.default_rng(3)
    direction = [rng.standard_normal(p.shape) for p in case.params]
    norm = math.sqrt(sum(float((d * d).sum()) for d in direction))
    direction = [d / norm for d in direction]  # a unit step, so eps is small in parameter space
    base = [p.copy() for p in case.params]

    def loss_at(t):
        case.params = [p + t * d for p, d in zip(base, direction)]
        return case.iteration()[0]

    eps = 1e-5
    numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    analytic = sum(float((g * d).sum()) for g, d in zip(grads, direction))
    assert analytic == pytest.approx(numeric, rel=1e-6)
