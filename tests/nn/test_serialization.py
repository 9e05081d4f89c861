"""state_dict / load_state_dict and files: round trips, refusals, and no partial loads."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_udl as tg
from tinygrad_udl import nn


class WithBuffers(nn.Module):
    def __init__(self, rng=None):
        super().__init__()
        self.fc = nn.Linear(3, 2, rng=rng)
        self.register_buffer("running_mean", np.zeros(2, np.float32))
        self.register_buffer("steps", np.zeros((), np.int64))
        self.register_buffer("scratch", np.zeros(4), persistent=False)

    def forward(self, x):
        return self.fc(x) - self.running_mean


def snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_state_equal(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype
        np.testing.assert_array_equal(a[k], b[k])


def test_state_dict_has_parameters_and_persistent_buffers_as_copies():
    m = WithBuffers()
    sd = m.state_dict()
    assert list(sd) == ["running_mean", "steps", "fc.weight", "fc.bias"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["fc.weight"][...] = 123.0
    assert not np.any(m.fc.weight.data == 123.0)


def test_load_state_dict_copies_values_in():
    a, b = WithBuffers(rng=1), WithBuffers(rng=2)
    a.running_mean = np.array([1.0, 2.0], np.float32)
    b.load_state_dict(a.state_dict())
    assert_state_equal(a.state_dict(), b.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_round_trip_through_files(tmp_path):
    a, b = WithBuffers(rng=1), WithBuffers(rng=2)
    a.steps = np.array(7)
    tg.save(a.state_dict(), tmp_path / "a.npz")
    b.load_state_dict(tg.load(tmp_path / "a.npz"))
    assert_state_equal(a.state_dict(), b.state_dict())
    c = WithBuffers(rng=3)
    a.save(tmp_path / "b.npz")
    assert c.load(tmp_path / "b.npz") is c
    assert_state_equal(a.state_dict(), c.state_dict())


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=4), st.integers(0, 2**31))
def test_round_trip_of_random_mlps(sizes, seed):
    def build(rng):
        layers = [nn.Linear(a, b, rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]
        return nn.Sequential(*layers)
    rng = np.random.default_rng(seed)
    a, b = build(rng), build(rng)
    b.load_state_dict(a.state_dict())
    x = rng.standard_normal((2, sizes[0])).astype(np.float32)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_a_file_with_a_pickled_object_is_refused_and_nothing_changes(tmp_path):
    m = WithBuffers()
    before = snapshot(m)
    path = tmp_path / "evil.npz"
    np.savez(path, **{"fc.weight": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(tg.SerializationError, match="pickle"):
        m.load(path)
    assert_state_equal(before, m.state_dict())


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd.pop("fc.bias"), "missing keys: fc.bias"),
    (lambda sd: sd.update(extra=np.zeros(1)), "unexpected keys: extra"),
    (lambda sd: sd.update({"fc.bias": np.zeros(3, np.float32)}), r"'fc.bias': shape \(3,\) in the state dict, \(2,\)"),
    (lambda sd: sd.update({"fc.bias": np.zeros(2, np.float64)}), "'fc.bias': dtype float64 in the state dict, float32"),
    (lambda sd: sd.update(steps=np.zeros((), np.float32)), "'steps': dtype float32"),
])
def test_mismatches_raise_and_leave_the_model_unchanged(change, message):
    m = WithBuffers(rng=0)
    before = snapshot(m)
    sd = {k: v + 1 for k, v in m.state_dict().items()}  # every valid entry would change the model
    change(sd)
    with pytest.raises(nn.StateDictError, match=message):
        m.load_state_dict(sd)
    assert_state_equal(before, m.state_dict())


def test_non_strict_load_reports_missing_and_unexpected_and_loads_the_rest():
    m = WithBuffers(rng=0)
    sd = m.state_dict()
    new_bias = sd["fc.bias"] + 5
    result = m.load_state_dict({"fc.bias": new_bias, "other": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["fc.weight", "running_mean", "steps"]
    assert result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(m.fc.bias.data, new_bias)


def test_non_strict_load_still_refuses_wrong_shapes():
    m = WithBuffers(rng=0)
    with pytest.raises(nn.StateDictError, match="shape"):
        m.load_state_dict({"fc.weight": np.zeros((3, 3), np.float32)}, strict=False)


def test_tensors_are_accepted_as_state_dict_values():
    m = WithBuffers(rng=0)
    w = np.full((2, 3), 0.5, np.float32)
    m.load_state_dict({"fc.weight": tg.Tensor(w)}, strict=False)
    np.testing.assert_array_equal(m.fc.weight.data, w)


def test_loaded_parameters_do_not_share_memory_with_the_source():
    a, b = WithBuffers(rng=1), WithBuffers(rng=2)
    sd = a.state_dict()
    b.load_state_dict(sd)
    sd["fc.weight"][...] = 0
    assert np.any(b.fc.weight.data != 0)


def test_not_a_dict_is_refused():
    with pytest.raises(nn.StateDictError, match="expected a dict"):
        WithBuffers().load_state_dict([1, 2])


# ---- keys: any string round-trips, nested conflicts are refused -----------------------------------


@pytest.mark.parametrize("key", ["file", "allow_pickle", "fix_imports", "mmap_mode", "args", "kwds", "compress"])
def test_keys_named_like_numpy_arguments_round_trip(key, tmp_path):
    # numpy.savez takes its entries as keyword arguments, so these names used to collide with its own
    state = {key: np.arange(3.0), "b": np.ones(2, np.int32)}
    tg.save(state, tmp_path / "k.npz")
    loaded = tg.load(tmp_path / "k.npz")
    assert_state_equal(state, loaded)


def test_all_numpy_argument_names_together_keep_every_entry(tmp_path):
    state = {name: np.full(2, i) for i, name in enumerate(["file", "allow_pickle", "fix_imports", "mmap_mode", "b"])}
    tg.save(state, tmp_path / "k.npz")
    assert_state_equal(state, tg.load(tmp_path / "k.npz"))


keys = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(keys, st.integers(-5, 5), min_size=1, max_size=6))
def test_any_unicode_keys_round_trip_in_order(tmp_path_factory, entries):
    state = {key: np.full((2,), value, np.int16) for key, value in entries.items()}
    path = tmp_path_factory.mktemp("keys") / "k.npz"
    tg.save(state, path)
    assert_state_equal(state, tg.load(path))


@pytest.mark.parametrize("key, match", [("a\x00b", r"save: key 'a\\x00b'.*NUL"),
                                        ("a\udc80", r"save: key 'a\\udc80'.*surrogate")])
def test_keys_that_cannot_be_zip_member_names_are_refused_at_save(key, match, tmp_path):
    with pytest.raises(tg.SerializationError, match=match):
        tg.save({key: np.ones(1)}, tmp_path / "k.npz")
    assert not (tmp_path / "k.npz").exists()


def test_the_file_is_an_npz_that_numpy_load_reads(tmp_path):
    state = {"file": np.arange(4.0).reshape(2, 2), "é.w": np.array(3, np.int64)}
    tg.save(state, tmp_path / "k.npz")
    with np.load(tmp_path / "k.npz", allow_pickle=False) as archive:
        assert [name for name in archive.files if name != tg.serialization.MANIFEST_NAME] == list(state)
        for key, value in state.items():
            np.testing.assert_array_equal(archive[key], value)


@pytest.mark.parametrize("order", [["a", "a.b"], ["a.b", "a"]])
def test_nested_load_refuses_a_key_that_is_both_an_entry_and_a_prefix(order, tmp_path):
    tg.save({key: np.ones(1) for key in order}, tmp_path / "k.npz")
    assert set(tg.load(tmp_path / "k.npz")) == {"a", "a.b"}  # the flat form is fine
    with pytest.raises(tg.SerializationError, match="'a' is both an entry and the prefix of 'a.b'"):
        tg.load(tmp_path / "k.npz", nested=True)


def test_nested_load_builds_the_tree(tmp_path):
    tg.save({"fc1": {"weight": np.ones((2, 2)), "bias": np.zeros(2)}, "step": 3}, tmp_path / "k.npz")
    tree = tg.load(tmp_path / "k.npz", nested=True)
    assert list(tree) == ["fc1", "step"] and list(tree["fc1"]) == ["weight", "bias"]
    assert tree["step"] == 3


# ---- files written before the manifest existed ------------------------------------------------------


def test_a_file_written_by_the_old_save_still_loads(tmp_path):
    a, b = WithBuffers(rng=1), WithBuffers(rng=2)
    with open(tmp_path / "old.npz", "wb") as f:  # what save() did before it wrote a manifest
        np.savez(f, **a.state_dict())
    b.load(tmp_path / "old.npz")
    assert_state_equal(a.state_dict(), b.state_dict())


def test_an_old_file_is_still_checked(tmp_path):
    np.savez(tmp_path / "old.npz", w=np.ones(2), text=np.array(["not a number"]))
    with pytest.raises(tg.SerializationError, match=r"old.npz, entry 'text'.*dtype <U12"):
        tg.load(tmp_path / "old.npz")
