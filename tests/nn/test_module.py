"""Module, Parameter and the containers: registration, traversal, modes, repr and parameter counts."""
import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
from tinygrad_udl import nn
from tinygrad_udl.gradcheck import check_module


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("count", np.zeros((), np.int64))
        self.register_buffer("stats", np.zeros(2))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---- Parameter ----------------------------------------------------------------------------------------


def test_parameter_is_a_leaf_that_requires_grad_and_copies_its_data():
    data = np.arange(3.0)
    p = nn.Parameter(data)
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    data[0] = 99.0
    assert p.data[0] == 0.0
    assert repr(p).startswith("Parameter(")


def test_parameter_from_a_computed_tensor_drops_its_graph():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    p = nn.Parameter(x * 3)
    assert p.is_leaf and p.requires_grad
    np.testing.assert_array_equal(p.data, [3.0, 6.0])


def test_parameter_of_integers_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


def test_operations_on_parameters_give_plain_tensors():
    p = nn.Parameter([1.0, 2.0])
    assert type(p * 2) is tg.Tensor


# ---- registration -------------------------------------------------------------------------------------


def test_named_parameters_use_dotted_pytorch_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1)))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.1.weight", "2.1.bias"]


def test_custom_module_registers_parameters_modules_and_buffers():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in b.named_buffers()] == ["count", "stats"]
    assert [n for n, _ in b.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in b.named_modules()] == ["", "fc1", "act", "fc2"]


def test_shared_parameters_are_listed_and_counted_once():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert model.num_parameters() == 12
    assert list(model.state_dict()) == ["0.weight", "0.bias"]


def test_labels_are_qualified_names_but_user_labels_are_kept():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    model[1].weight.label = "omega1"
    model[0](tg.zeros(1, 2))  # calling a sub-module first labels with its local names
    model(tg.zeros(1, 2))
    assert model[0].weight.label == "0.weight"
    assert model[0].bias.label == "0.bias"
    assert model[1].weight.label == "omega1"


def test_assigning_a_non_parameter_over_a_parameter_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="is a Parameter"):
        layer.weight = tg.Tensor(np.zeros((2, 2)))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_reassigning_a_name_moves_it_between_registries():
    b = Block()
    b.fc1 = nn.Parameter(np.zeros(1))  # a module slot becomes a parameter
    assert "fc1" not in dict(b.named_children()) and "fc1" in dict(b.named_parameters())
    b.stats = np.ones(2)  # a buffer stays a buffer
    np.testing.assert_array_equal(dict(b.named_buffers())["stats"], [1.0, 1.0])
    del b.scale
    assert "scale" not in dict(b.named_parameters())


def test_forgetting_super_init_gives_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_missing_forward_and_attribute_errors():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)
    with pytest.raises(AttributeError, match="nothing"):
        nn.Linear(1, 1).nothing


def test_bad_names_are_refused():
    m = nn.Module()
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("w", np.zeros(1))


# ---- modes and parameter-wide operations --------------------------------------------------------------


def test_train_and_eval_are_recursive():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.1)))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_every_parameter():
    model = mlp([3, 4, 1])
    model(tg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_false_freezes_parameters():
    model = mlp([3, 4, 1])
    model[0].requires_grad_(False)
    model(tg.randn(5, 3)).sum().backward()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    assert model.num_parameters(trainable_only=True) == 5


def test_to_float64_converts_parameters_and_float_buffers_only():
    b = Block().to(np.float64)
    assert all(p.dtype == np.float64 for p in b.parameters())
    assert b.stats.dtype == np.float64 and b.count.dtype == np.int64
    assert b.float().fc1.weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        b.to(np.int32)


def test_apply_visits_every_module():
    model = mlp([2, 3, 1])
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert sorted(seen) == ["Linear", "Linear", "ReLU", "Sequential"]


def test_deepcopy_gives_independent_parameters():
    model = mlp([2, 3, 1])
    clone = copy.deepcopy(model)
    clone[0].weight.data[...] = 0
    assert np.any(model[0].weight.data != 0)
    np.testing.assert_array_equal(clone(tg.ones(1, 2)).data, clone(tg.ones(1, 2)).data)


# ---- containers -----------------------------------------------------------------------------------------


def test_sequential_runs_in_order_and_indexes_like_a_list():
    double = nn.Lambda(lambda x: x * 2)
    plus1 = nn.Lambda(lambda x: x + 1)
    seq = nn.Sequential(double, plus1)
    assert seq(tg.Tensor(3.0)).item() == 7.0
    assert seq[-1] is plus1 and len(seq) == 2 and list(seq) == [double, plus1]
    assert isinstance(seq[:1], nn.Sequential) and seq[:1](tg.Tensor(3.0)).item() == 6.0
    seq.append(double)
    assert seq(tg.Tensor(3.0)).item() == 14.0
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(lambda x: x)


def test_sequential_from_a_dict_keeps_names():
    seq = nn.Sequential({"hidden": nn.Linear(2, 3), "out": nn.Linear(3, 1)})
    assert list(seq.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_module_list_and_dict_register_their_entries():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 2)])
    ml.append(nn.Linear(2, 2))
    assert [n for n, _ in ml.named_parameters()][-2:] == ["2.weight", "2.bias"]
    assert len(ml) == 3 and ml[1].out_features == 2
    ml[0] = nn.Linear(1, 5)
    assert ml[0].out_features == 5
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    assert list(md) == ["a", "b"] and "a" in md and md.num_parameters() == 2
    with pytest.raises(KeyError, match="no module 'c'"):
        md["c"]
    with pytest.raises(NotImplementedError):
        ml(1)


# ---- repr and counts ------------------------------------------------------------------------------------


def test_repr_shows_the_tree_with_counts():
    text = repr(mlp([40, 100, 10]))
    assert text.splitlines() == [
        "Sequential(  # 5,110 parameters",
        "  (0): Linear(in_features=40, out_features=100, bias=True)  # 4,100 parameters",
        "  (1): ReLU()",
        "  (2): Linear(in_features=100, out_features=10, bias=True)  # 1,010 parameters",
        ")",
    ]


@pytest.mark.parametrize("sizes, count", [
    ([40, 100], 4_100),                   # the brief's example
    ([40, 100, 100, 10], 15_210),         # figs. 8.1-8.2's MNIST-1D MLP
    ([1, 10, 10, 10, 10, 10, 1], 471),    # fig. 4.7a: D_i = 1, K = 5, D = 10
    ([100, 500, 1], 51_001),              # fig. 3.9: 500 hidden units, 100 inputs
    ([3, 3, 2], 20),                      # fig. 3.11's 3-3-2 network
])
def test_parameter_counts_of_the_books_networks(sizes, count):
    assert mlp(sizes).num_parameters() == count


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=2, max_size=5))
def test_parameter_count_is_sum_of_layer_counts(sizes):
    # section 4.4: sum over layers of (D_k + 1) D_{k+1}
    assert mlp(sizes).num_parameters() == sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def test_check_module_on_a_custom_module_with_buffers_and_a_shared_layer():
    b = Block()
    shared = nn.Linear(2, 2)
    model = nn.Sequential(b, shared, nn.Tanh(), shared)
    report = check_module(model, [np.random.default_rng(0).standard_normal((3, 3))])
    assert report.ok, str(report)
    assert [row.name for row in report.checks] == [n for n, _ in model.named_parameters()]
