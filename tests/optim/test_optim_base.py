"""The Optimizer base: parameter groups, in-place updates, read-only gradients, zero_grad, closures,
argument errors, and state dicts through tinygrad_udl.save/load."""
import numpy as np
import pytest
from optim_testing import param, set_grad

import tinygrad_udl as tg
from tinygrad_udl import Tensor
from tinygrad_udl.optim import SGD, Adagrad, Adam, AdamW, LineSearchGD, RMSprop, StepLR

# ---- parameter groups ---------------------------------------------------------------------------


def test_groups_have_their_own_hyperparameters_and_take_defaults():
    weight, bias = param([1.0, 2.0]), param([3.0])
    opt = SGD([{"params": [weight], "weight_decay": 0.1}, {"params": [bias], "lr": 1.0}], lr=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 1.0]
    assert [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]
    set_grad(weight, [1.0, 1.0])
    set_grad(bias, [1.0])
    opt.step()
    np.testing.assert_allclose(weight.data, [1.0 - 0.5 * (1 + 0.1 * 1.0), 2.0 - 0.5 * (1 + 0.1 * 2.0)])
    np.testing.assert_allclose(bias.data, [2.0])


def test_add_param_group_later():
    a, b = param([1.0]), param([1.0])
    opt = SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.2})
    set_grad(a, [1.0])
    set_grad(b, [1.0])
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.8])


def test_generator_of_parameters_is_accepted():
    params = [param([1.0]), param([2.0])]
    opt = Adam(p for p in params)
    assert len(opt.param_groups[0]["params"]) == 2


# ---- updates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: SGD(p, lr=0.1, momentum=0.9, style="book"),
                                  lambda p: Adam(p), lambda p: AdamW(p), lambda p: RMSprop(p, centered=True, momentum=0.5),
                                  lambda p: Adagrad(p)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_are_in_place_and_gradients_untouched(make, dtype):
    p = param([[1.0, -2.0], [0.5, 4.0]], dtype=dtype)
    alias = p.data  # what a module holding the parameter sees
    opt = make([p])
    grad = np.array([[0.3, -0.1], [2.0, 0.0]], dtype=dtype)
    for _ in range(3):
        set_grad(p, grad)  # read-only: writing into it would raise
        before = p.data.copy()
        opt.step()
        assert p.data is alias and p.data.dtype == dtype
        assert not np.array_equal(p.data, before)
        np.testing.assert_array_equal(p.grad.data, grad)


def test_parameters_without_gradient_are_skipped():
    used, unused = param([1.0]), param([5.0])
    opt = Adam([used, unused], lr=0.1)
    set_grad(used, [1.0])
    opt.step()
    assert unused.data[0] == 5.0
    assert unused not in opt.state and used in opt.state


def test_gradients_from_backward_drive_the_update():
    p = param([1.0, 2.0])
    opt = SGD([p], lr=0.25)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.25 * 2.0, 2.0 - 0.25 * 4.0])


def test_zero_grad():
    p, q = param([1.0]), param([2.0])
    opt = SGD([p, q], lr=0.1)
    set_grad(p, [3.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0])
    assert q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_step_calls_the_closure_with_grad_enabled_and_returns_its_loss():
    p = param([3.0])
    opt = SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.1 * 6.0])


def test_gradient_of_the_wrong_shape_is_an_error():
    p = param([1.0, 2.0])
    opt = SGD([p], lr=0.1)
    p.grad = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        opt.step()


# ---- bad parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize("params, error, match", [
    (param([1.0]), TypeError, "single Tensor"),
    ([], ValueError, "empty"),
    ([np.ones(2)], TypeError, "ndarray"),
    ([("w", param([1.0]))], TypeError, "named_parameters"),
    ([Tensor([1.0])], ValueError, "requires_grad"),
    ([param([1.0]) * 2], ValueError, "leaf"),
    ([{"params": [param([1.0])], "momentun": 0.9}], ValueError, "momentun"),
    ({"params": [param([1.0])]}, TypeError, "one dict"),
])
def test_bad_parameters_are_refused(params, error, match):
    with pytest.raises(error, match=match):
        SGD(params, lr=0.1)


def test_a_parameter_may_appear_once():
    p = param([1.0])
    with pytest.raises(ValueError, match="more than one"):
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than one"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_read_only_parameter_data_is_refused():
    p = param([1.0])
    p.data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        SGD([p], lr=0.1)


# ---- state dicts ------------------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd-torch": lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd-torch-nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "sgd-book": lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.001, style="book"),
    "sgd-book-nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, style="book"),
    "adam": lambda ps: Adam(ps, lr=0.05, amsgrad=True),
    "adamw": lambda ps: AdamW([{"params": ps[:1]}, {"params": ps[1:], "weight_decay": 0.0}], lr=0.05),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.01),
}


def make_problem(dtype=np.float32):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 3)).astype(dtype), rng.normal(size=(20, 2)).astype(dtype)
    start = [rng.normal(size=(3, 2)).astype(dtype), np.zeros(2, dtype=dtype)]
    return x, y, start


def train(opt, params, x, y, steps, scheduler=None):
    def closure():
        opt.zero_grad()
        loss = ((Tensor(x) @ params[0] + params[1] - Tensor(y)) ** 2).mean()
        loss.backward()
        return loss
    for _ in range(steps):
        opt.step(closure)
        if scheduler is not None:
            scheduler.step()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_training_continues_identically_after_save_and_load(name, tmp_path):
    x, y, start = make_problem()
    make = OPTIMIZERS[name]
    # uninterrupted: 8 steps, the learning rate halved every 3
    params = [Tensor(a.copy(), requires_grad=True) for a in start]
    opt = make(params)
    scheduler = StepLR(opt, step_size=3, gamma=0.5)
    train(opt, params, x, y, 8, scheduler)
    # interrupted after 5 steps: save, rebuild everything from the files, 3 more steps
    params2 = [Tensor(a.copy(), requires_grad=True) for a in start]
    opt2 = make(params2)
    scheduler2 = StepLR(opt2, step_size=3, gamma=0.5)
    train(opt2, params2, x, y, 5, scheduler2)
    tg.save(opt2.state_dict(), tmp_path / "opt.npz")
    tg.save(scheduler2.state_dict(), tmp_path / "sched.npz")
    tg.save({"w": params2[0], "b": params2[1]}, tmp_path / "model.npz")

    model = tg.load(tmp_path / "model.npz")
    params3 = [Tensor(model["w"], requires_grad=True), Tensor(model["b"], requires_grad=True)]
    opt3 = make(params3)
    scheduler3 = StepLR(opt3, step_size=3, gamma=0.5)
    opt3.load_state_dict(tg.load(tmp_path / "opt.npz"))
    scheduler3.load_state_dict(tg.load(tmp_path / "sched.npz"))
    assert scheduler3.get_last_lr() == scheduler2.get_last_lr()
    train(opt3, params3, x, y, 3, scheduler3)
    for a, b in zip(params, params3):
        np.testing.assert_array_equal(a.data, b.data)
        assert b.dtype == np.float32


def test_state_dict_is_plain_arrays_and_numbers(tmp_path):
    x, y, start = make_problem()
    params = [Tensor(a, requires_grad=True) for a in start]
    opt = Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}])
    train(opt, params, x, y, 2)
    state = opt.state_dict()
    assert set(state) == {"param_groups", "state"}
    np.testing.assert_array_equal(state["param_groups"]["1"]["params"], [1])
    assert state["param_groups"]["1"]["lr"] == 0.5 and state["param_groups"]["0"]["betas"] == (0.9, 0.999)
    assert set(state["state"]["0"]) == {"step", "exp_avg", "exp_avg_sq"} and state["state"]["0"]["step"] == 2
    # a snapshot, not a view of the live state
    train(opt, params, x, y, 1)
    assert state["state"]["0"]["step"] == 2
    flat = round_trip(state, tmp_path)
    assert all(isinstance(v, np.ndarray) and v.dtype.kind in "biuf" for v in flat.values())


def test_hyperparameters_come_from_the_state_dict():
    p = param([1.0])
    opt = SGD([p], lr=0.1, momentum=0.5)
    sd = opt.state_dict()
    opt2 = SGD([param([1.0])], lr=9.0, momentum=0.1)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["momentum"] == 0.5


def round_trip(state, tmp_path):
    """The state dict as it comes back from a file: flat '.'-keys, numbers as 0-d arrays."""
    tg.save(state, tmp_path / "state.npz")
    return tg.load(tmp_path / "state.npz")


def trained(make, shapes=((3, 2), (2,))):
    params = [param(np.ones(s)) for s in shapes]
    opt = make(params)
    for p in params:
        set_grad(p, np.full(p.shape, 0.5))
    opt.step()
    return opt


@pytest.mark.parametrize("target, match", [
    (lambda: Adam([param(np.ones((3, 2))), param(np.ones(2))]), "different optimizer"),
    (lambda: SGD([param(np.ones((3, 2)))], lr=0.1, momentum=0.9), "has 1 parameter"),
    (lambda: SGD([param(np.ones((3, 2))), param(np.ones(2)), param(np.ones(1))], lr=0.1, momentum=0.9), "has 3 parameter"),
    (lambda: SGD([{"params": [param(np.ones((3, 2)))]}, {"params": [param(np.ones(2))]}], lr=0.1, momentum=0.9),
     "group"),
    (lambda: SGD([param(np.ones((2, 3))), param(np.ones(2))], lr=0.1, momentum=0.9), r"shape \(3, 2\).*\(2, 3\)"),
    (lambda: SGD([param(np.ones((3, 2))), param(np.ones(2))], lr=0.1, momentum=0.9, style="book"), "book_style"),
])
def test_mismatched_state_dicts_are_refused_without_partial_load(target, match, tmp_path):
    saved = round_trip(trained(lambda ps: SGD(ps, lr=0.1, momentum=0.9)).state_dict(), tmp_path)
    opt = target()
    before = (repr(opt.param_groups), dict(opt.state))
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(saved)
    assert (repr(opt.param_groups), dict(opt.state)) == before


def test_state_with_unexpected_entries_is_refused():
    sd = trained(lambda ps: SGD(ps, lr=0.1, momentum=0.9)).state_dict()
    sd["param_groups"]["0"]["momentum"] = 0.0  # then no momentum buffer is expected
    with pytest.raises(ValueError, match="momentum_buffer"):
        SGD([param(np.ones((3, 2))), param(np.ones(2))], lr=0.1, momentum=0.9).load_state_dict(sd)
    sd = trained(lambda ps: SGD(ps, lr=0.1, momentum=0.9)).state_dict()
    sd["state"]["7"] = sd["state"]["0"]
    with pytest.raises(ValueError, match="parameter '7'"):
        SGD([param(np.ones((3, 2))), param(np.ones(2))], lr=0.1, momentum=0.9).load_state_dict(sd)
    with pytest.raises(ValueError, match="not an optimizer state dict"):
        SGD([param([1.0])], lr=0.1).load_state_dict({"weight": np.ones(1)})
    sd = trained(lambda ps: Adam(ps)).state_dict()
    sd["param_groups"]["0"]["betas"] = np.array([0.9, 0.99, 0.5])
    with pytest.raises(ValueError, match="2 entries"):
        Adam([param(np.ones((3, 2))), param(np.ones(2))]).load_state_dict(sd)
    sd["param_groups"]["0"]["betas"] = np.array([0.9, 1.5])
    with pytest.raises(ValueError, match="γ"):
        Adam([param(np.ones((3, 2))), param(np.ones(2))]).load_state_dict(sd)


def test_loaded_hyperparameters_keep_their_types(tmp_path):
    opt = trained(lambda ps: Adam(ps, amsgrad=True))
    fresh = Adam([param(np.ones((3, 2))), param(np.ones(2))], amsgrad=True)
    fresh.load_state_dict(round_trip(opt.state_dict(), tmp_path))
    group = fresh.param_groups[0]
    assert group["betas"] == (0.9, 0.999) and group["amsgrad"] is True
    assert isinstance(fresh.state[group["params"][0]]["step"], int)


def test_line_search_optimizer_state_round_trip(tmp_path):
    opt = LineSearchGD([param([1.0])], max_lr=2.0)
    other = LineSearchGD([param([1.0])])
    other.load_state_dict(round_trip(opt.state_dict(), tmp_path))
    assert other.param_groups[0]["max_lr"] == 2.0
