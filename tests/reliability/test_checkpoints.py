"""Checkpoints survive crashes and refuse damaged files (docs/reliability.md, section "Checkpoints").

Nothing here depends on timing: the killed save is made to stop at a known point by a pipe, and
"refused before allocating" is measured with tracemalloc, not with a clock.
"""
import io
import json
import os
import select
import signal
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npy_format

import tinygrad_udl as tg
from tinygrad_udl import Tensor, nn
from tinygrad_udl.files import atomic_write
from tinygrad_udl.optim import SGD, Adam
from tinygrad_udl.serialization import MANIFEST_NAME, MAX_BYTES, SerializationError
from tinygrad_udl.training.history import History

REPO = Path(__file__).resolve().parents[2]
OLD = {"w": np.arange(6.0).reshape(2, 3), "b": np.array([1, 2], np.int32), "step": np.array(4, np.int64)}
NEW = {"w": np.full((2, 3), 9.0), "b": np.array([7, 7], np.int32), "step": np.array(5, np.int64)}
# Hypothesis tests below share one tmp_path across examples: each example overwrites its own file.
fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


def assert_same(expected, loaded):
    assert list(loaded) == list(expected)
    for key, value in expected.items():
        assert loaded[key].dtype == value.dtype, key
        np.testing.assert_array_equal(loaded[key], value)


def other_files(folder, *names):
    return sorted(p.name for p in Path(folder).iterdir() if p.name not in names)


def npy_bytes(array):
    buffer = io.BytesIO()
    npy_format.write_array(buffer, np.asarray(array), allow_pickle=True)
    return buffer.getvalue()


def npy_header(shape, descr="<f8", fortran_order=False):
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)})
    return buffer.getvalue()


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    """A zip archive of (name, bytes) pairs, duplicates allowed (zipfile warns about them)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        warnings.simplefilter("ignore")
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rewritten(path, change):
    """Rewrite the archive at `path` with `change(members) -> members` applied."""
    path.write_bytes(zip_bytes(change(members_of(path))))
    return path


def manifest_of(members):
    return json.loads(dict(members)[MANIFEST_NAME])


def with_manifest(members, manifest):
    return [(name, json.dumps(manifest).encode() if name == MANIFEST_NAME else data) for name, data in members]


def fail_at_write(monkeypatch, call, error):
    """Make the `call`-th array write of a save raise `error` (as a crash or Ctrl-C part-way would)."""
    real = npy_format.write_array
    calls = []

    def write_array(fp, array, *args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            raise error
        return real(fp, array, *args, **kwargs)
    monkeypatch.setattr(npy_format, "write_array", write_array)


def refuse(path, match, **options):
    with pytest.raises(SerializationError, match=match):
        tg.load(path, **options)


def peak_allocation(fn):
    """The most memory Python and numpy held at once while `fn` ran (bytes)."""
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# ---- crash safety -----------------------------------------------------------------------------------

# The child saves over the checkpoint, but its second array write first reports "w" on stdout and
# then waits on stdin, which the parent never writes to: the parent kills it there with SIGKILL.
KILLED_CHILD = r"""
import sys
import numpy as np
from numpy.lib import format as npy_format
import tinygrad_udl as tg

real = npy_format.write_array
calls = []

def write_array(fp, array, *args, **kwargs):
    calls.append(None)
    if len(calls) == 2:
        sys.stdout.write("w")
        sys.stdout.flush()
        sys.stdin.read()
    return real(fp, array, *args, **kwargs)

npy_format.write_array = write_array
big = np.full(300_000, 9.0)  # larger than any write buffer: the first entry is on disk before the kill
tg.save({"big": big, "w": np.full((2, 3), 9.0), "b": np.array([7, 7], np.int32)}, sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_a_save_killed_mid_write_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save(OLD, path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(path)], cwd=REPO, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # a watchdog only, so that a broken child fails the test instead of hanging it
        assert select.select([child.stdout], [], [], 300)[0], "the child never reached the second write"
        assert child.stdout.read(1) == b"w", child.stderr.read().decode()
        temporaries = other_files(tmp_path, "ckpt.npz")
        assert len(temporaries) == 1 and (tmp_path / temporaries[0]).stat().st_size > 2_000_000
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert_same(OLD, tg.load(path))
    # the killed save's temporary file is still there, but it is hidden, is not a .npz, and does not load
    [temporary] = other_files(tmp_path, "ckpt.npz")
    assert temporary.startswith(".ckpt.npz.") and temporary.endswith(".tmp")
    assert [p.name for p in tmp_path.glob("*.npz")] == ["ckpt.npz"]
    refuse(tmp_path / temporary, "not a zip archive")


@pytest.mark.parametrize("error", [RuntimeError("injected"), KeyboardInterrupt()], ids=["exception", "ctrl-c"])
@pytest.mark.parametrize("call", [1, 2, 3])
def test_an_interrupted_save_keeps_the_old_file_and_removes_its_temporary(error, call, tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save(OLD, path)
    fail_at_write(monkeypatch, call, error)
    with pytest.raises(type(error)):
        tg.save(NEW, path)
    monkeypatch.undo()
    assert other_files(tmp_path, "ckpt.npz") == []
    assert_same(OLD, tg.load(path))


def test_an_interrupted_first_save_leaves_no_file(tmp_path, monkeypatch):
    fail_at_write(monkeypatch, 2, RuntimeError("injected"))
    with pytest.raises(RuntimeError):
        tg.save(NEW, tmp_path / "ckpt.npz")
    assert other_files(tmp_path) == []


def test_an_interrupted_adam_save_keeps_the_optimizer_checkpoint(tmp_path, monkeypatch):
    # The reported case: the first writes (param_groups) succeed, the state (moments, step) fails.
    p = nn.Parameter(np.ones(3, np.float32))
    opt = Adam([p], lr=0.1)
    p.grad = Tensor(np.full(3, 0.5, np.float32))
    opt.step()
    tg.save(opt.state_dict(), tmp_path / "opt.npz")
    opt.step()
    fail_at_write(monkeypatch, 7, RuntimeError("injected"))  # before any of the state (step, moments) is written
    with pytest.raises(RuntimeError):
        tg.save(opt.state_dict(), tmp_path / "opt.npz")
    monkeypatch.undo()
    resumed = Adam([nn.Parameter(np.ones(3, np.float32))], lr=0.1)
    resumed.load_state_dict(tg.load(tmp_path / "opt.npz"))
    assert next(iter(resumed.state.values()))["step"] == 1


def fail_fsync(monkeypatch):
    def fsync(fd):
        raise OSError(28, "No space left on device (injected)")
    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("writer, reader", [
    (lambda value, path: tg.save({"x": np.full(2, value)}, path), lambda path: float(tg.load(path)["x"][0])),
    (lambda value, path: History([{"step": value}]).save(path), lambda path: History.load(path)[0]["step"]),
], ids=["save", "history.json"])
def test_a_write_that_fails_at_fsync_keeps_the_old_file(writer, reader, tmp_path, monkeypatch):
    # a full disk is often reported only when the data is forced out (fsync), after every write "worked"
    path = tmp_path / "out"
    writer(1, path)
    fail_fsync(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        writer(2, path)
    monkeypatch.undo()
    assert reader(path) == 1
    assert other_files(tmp_path, "out") == []


def test_atomic_write_replaces_the_file_only_when_the_block_completes(tmp_path):
    path = tmp_path / "notes.txt"
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write("first ✓")
    with pytest.raises(ZeroDivisionError):
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.write("second, half")
            1 / 0
    assert path.read_text(encoding="utf-8") == "first ✓"
    assert other_files(tmp_path, "notes.txt") == []


def test_atomic_write_gives_a_new_file_the_permissions_open_would(tmp_path):
    with open(tmp_path / "plain", "wb"):
        pass
    with atomic_write(tmp_path / "atomic", "wb") as f:
        f.write(b"x")
    assert (tmp_path / "atomic").stat().st_mode == (tmp_path / "plain").stat().st_mode


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_atomic_write_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "real.npz").write_bytes(b"old")
    (tmp_path / "link.npz").symlink_to("real.npz")
    tg.save(NEW, tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink()
    assert_same(NEW, tg.load(tmp_path / "real.npz"))


def test_atomic_write_refuses_reading_modes(tmp_path):
    with pytest.raises(ValueError, match="'w' or 'wb'"):
        with atomic_write(tmp_path / "x", "a"):
            pass


def test_atomic_write_names_the_target_when_the_folder_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing/x.npz"):
        tg.save({"x": np.ones(1)}, tmp_path / "missing" / "x.npz")


# ---- partial, tampered and foreign files ------------------------------------------------------------


def test_every_truncation_of_a_checkpoint_is_refused(tmp_path):
    tg.save(OLD, tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    cut = tmp_path / "cut.npz"
    for length in range(len(data)):
        cut.write_bytes(data[:length])
        refuse(cut, "cut.npz")


def test_an_archive_closed_part_way_through_a_save_is_refused(tmp_path):
    # numpy.savez closes the archive in a `finally`, so an exception mid-save used to leave a valid
    # zip holding the first entries only; the manifest (written first) tells that entries are missing
    tg.save(OLD, tmp_path / "ckpt.npz")
    rewritten(tmp_path / "ckpt.npz", lambda members: members[:2])
    refuse(tmp_path / "ckpt.npz", r"ckpt.npz: entries 'b', 'step' are listed in the manifest but missing")


@pytest.mark.parametrize("change, match", [
    (lambda m: m[:1] + m[2:], "entry 'w' is listed in the manifest but missing"),
    (lambda m: m + [("extra.npy", npy_bytes(np.ones(2)))], "entry 'extra' is not listed in the manifest"),
    (lambda m: m + [m[1]], "entry 'w' occurs twice"),
    (lambda m: with_manifest(m, {**manifest_of(m), "version": 99}), "format version 99"),
    (lambda m: with_manifest(m, {**manifest_of(m), "format": "something else"}), "not a tinygrad_udl manifest"),
    (lambda m: with_manifest(m, [1, 2]), "not a tinygrad_udl manifest"),
    (lambda m: [(n, b"{not json" if n == MANIFEST_NAME else d) for n, d in m], "manifest.*not valid JSON"),
    (lambda m: with_manifest(m, {**manifest_of(m), "entries": [{**e, "shape": [3, 2]} if e["key"] == "w" else e
                                                               for e in manifest_of(m)["entries"]]}),
     r"entry 'w': the manifest says shape \(3, 2\) and dtype <f8, the entry holds shape \(2, 3\) and dtype <f8"),
    (lambda m: with_manifest(m, {**manifest_of(m), "entries": [{**e, "dtype": "<f4"} if e["key"] == "b" else e
                                                               for e in manifest_of(m)["entries"]]}),
     "entry 'b': the manifest says shape.*dtype <f4"),
    (lambda m: with_manifest(m, {**manifest_of(m), "entries": [{**e, "key": "v"} if e["key"] == "w" else e
                                                               for e in manifest_of(m)["entries"]]}),
     "entry 'v' is listed in the manifest but missing"),
    (lambda m: with_manifest(m, {**manifest_of(m), "entries": manifest_of(m)["entries"][:1] * 2}),
     "manifest lists 'w' twice"),
    (lambda m: with_manifest(m, {**manifest_of(m), "entries": [{"key": "w"}]}), "manifest entry 1 .*key, shape, dtype"),
], ids=["entry removed", "entry added", "entry twice", "newer version", "other format", "not a dict", "not json",
        "shape altered", "dtype altered", "key altered", "key listed twice", "entry without shape"])
def test_a_tampered_checkpoint_is_refused(change, match, tmp_path):
    tg.save(OLD, tmp_path / "ckpt.npz")
    refuse(rewritten(tmp_path / "ckpt.npz", change), match)


def test_a_flipped_data_byte_is_refused(tmp_path):
    tg.save(OLD, tmp_path / "ckpt.npz")
    data = bytearray((tmp_path / "ckpt.npz").read_bytes())
    data[data.index(np.arange(6.0).tobytes()) + 3] ^= 0x10  # inside the array data of 'w'
    (tmp_path / "ckpt.npz").write_bytes(bytes(data))
    refuse(tmp_path / "ckpt.npz", "entry 'w'.*CRC")


def test_without_its_manifest_a_checkpoint_reads_as_an_old_file(tmp_path):
    # the limit of the manifest, documented: removing it makes a legacy file, still fully checked
    tg.save(OLD, tmp_path / "ckpt.npz")
    rewritten(tmp_path / "ckpt.npz", lambda m: [(n, d) for n, d in m if n != MANIFEST_NAME])
    assert_same(OLD, tg.load(tmp_path / "ckpt.npz"))


@pytest.mark.parametrize("make, match", [
    (lambda: npy_bytes(np.ones(3)), "not a zip archive"),
    (lambda: b"", "not a zip archive"),
    (lambda: zip_bytes([("notes.txt", b"hello")]), "entry 'notes.txt' is not an array"),
    (lambda: zip_bytes([("w.npy", npy_bytes(np.array([{"a": 1}], dtype=object)))]), "entry 'w'.*pickle"),
    (lambda: zip_bytes([("w.npy", npy_bytes(np.array(["text"])))]), "entry 'w'.*dtype <U4.*numbers"),
    (lambda: zip_bytes([("w.npy", npy_bytes(np.ones(2, complex)))]), "entry 'w'.*dtype complex128"),
    (lambda: zip_bytes([("w.npy", b"\x93NUMPY\x01\x00\x0c\x00{'descr': (\n")]), "entry 'w'.*header"),
    (lambda: zip_bytes([("w.npy", b"\x93NUMPY\x03\x00" + npy_bytes(np.ones(2))[8:])]), "entry 'w'.*version"),
    (lambda: zip_bytes([("w.npy", b"PK not an array")]), "entry 'w'"),
    (lambda: zip_bytes([("w.npy", npy_bytes(np.ones(4))[:-8])]), "entry 'w': the header declares 32 bytes.*holds 24"),
    (lambda: zip_bytes([("w.npy", npy_bytes(np.ones(4)) + b"more")]),
     "entry 'w': the header declares 32 bytes.*holds 36"),
], ids=["plain npy", "empty", "text member", "pickle", "strings", "complex", "bad header", "npy version 3",
        "no magic", "short data", "trailing bytes"])
def test_files_that_are_not_state_dicts_are_refused(make, match, tmp_path):
    path = tmp_path / "f.npz"
    path.write_bytes(make())
    refuse(path, match)


# ---- the size cap: checked before anything is read ----------------------------------------------------


def test_the_default_cap_is_4_gib():
    assert MAX_BYTES == 4 * 2**30


def test_a_tiny_header_declaring_1e12_elements_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    path.write_bytes(zip_bytes([("w.npy", npy_header((10**12,)) + b"\0" * 64)]))
    assert path.stat().st_size < 400
    match = r"entry 'w': the header declares shape \(1000000000000,\).*8,000,000,000,000 bytes.*max_bytes"
    peak = peak_allocation(lambda: refuse(path, match))
    assert peak < 1_000_000


def set_declared_sizes(data, size):
    """Overwrite the uncompressed size of every member in the zip's central directory."""
    data = bytearray(data)
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        data[start + 24:start + 28] = size.to_bytes(4, "little")
        start = data.find(b"PK\x01\x02", start + 4)
    return bytes(data)


def test_a_zip_directory_declaring_more_than_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.npz"
    small = npy_bytes(np.ones(2))
    path.write_bytes(set_declared_sizes(zip_bytes([("a.npy", small), ("b.npy", small)]), 3 * 2**30))
    peak = peak_allocation(lambda: refuse(path, "bomb.npz: the archive declares 6,442,450,944 bytes.*4,294,967,296"))
    assert peak < 1_000_000


def test_a_deflate_bomb_is_refused_by_its_declared_size(tmp_path):
    path = tmp_path / "bomb.npz"
    path.write_bytes(zip_bytes([("w.npy", npy_bytes(np.zeros(2**23)))], compression=zipfile.ZIP_DEFLATED))
    assert path.stat().st_size < 200_000
    peak = peak_allocation(lambda: refuse(path, "declares 67,108,992 bytes.*max_bytes=1,048,576", max_bytes=2**20))
    assert peak < 1_000_000


def test_the_cap_can_be_raised_or_lowered(tmp_path):
    tg.save({"w": np.ones(1000)}, tmp_path / "w.npz")
    refuse(tmp_path / "w.npz", "pass a larger max_bytes", max_bytes=1000)
    assert tg.load(tmp_path / "w.npz", max_bytes=10_000)["w"].shape == (1000,)
    model = nn.Linear(50, 50)
    model.save(tmp_path / "m.npz")
    with pytest.raises(SerializationError, match="max_bytes"):
        nn.Linear(50, 50).load(tmp_path / "m.npz", max_bytes=1000)


# ---- fuzzing: a correct dict or a SerializationError, nothing else -----------------------------------


def load_or_refuse(path, **options):
    """`load`'s result, or None when it refused; any other exception fails the test."""
    try:
        return tg.load(path, **options)
    except SerializationError:
        return None


def good_file_bytes(folder):
    tg.save({**OLD, "nested": {"ü": np.arange(3, dtype=np.uint8)}}, folder / "good.npz")
    return (folder / "good.npz").read_bytes()


@fixture_ok
@given(data=st.data())
def test_fuzz_flipped_and_truncated_checkpoints(tmp_path, data):
    good = good_file_bytes(tmp_path)
    expected = tg.load(tmp_path / "good.npz")
    damaged = bytearray(good)
    flips = st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255)), max_size=6)
    for position, mask in data.draw(flips):
        damaged[position] ^= mask
    damaged = damaged[:data.draw(st.integers(0, len(good)))]
    (tmp_path / "damaged.npz").write_bytes(bytes(damaged))
    loaded = load_or_refuse(tmp_path / "damaged.npz")
    if loaded is not None:  # flips in fields the reader ignores (times, attributes) change nothing
        assert_same(expected, loaded)


@fixture_ok
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(tmp_path, data):
    (tmp_path / "random.npz").write_bytes(data)
    assert not load_or_refuse(tmp_path / "random.npz")  # refused (None), or at most an empty archive ({})


DESCRS = ["<f8", "<f4", "|u1", "<i8", "|b1", ">f4", "<c16", "|O", "<U3", "|V4", [("a", "<f4")]]
member_names = st.sampled_from(["a.npy", "b.npy", "a.b.npy", "notes.txt", "dir/c.npy", MANIFEST_NAME])
npy_members = st.builds(lambda shape, descr, order, tail: npy_header(shape, descr, order) + tail,
                        st.lists(st.integers(0, 2**40), max_size=3), st.sampled_from(DESCRS), st.booleans(),
                        st.binary(max_size=64))
manifests = st.builds(lambda m: json.dumps(m).encode(), st.fixed_dictionaries({
    "format": st.sampled_from(["tinygrad_udl state dict", "x"]),
    "version": st.sampled_from([1, 2, "1", None]),
    "entries": st.lists(st.fixed_dictionaries({"key": st.sampled_from(["a", "b", "a.b"]),
                                               "shape": st.lists(st.integers(-1, 3), max_size=2),
                                               "dtype": st.sampled_from(["<f8", "|u1", "zz", 3])}), max_size=3)}))
contents = st.one_of(npy_members, manifests, st.binary(max_size=64),
                     st.builds(npy_bytes, st.sampled_from([np.ones(2), np.arange(3, dtype=np.uint8), np.float64(2)])))


@fixture_ok
@given(st.lists(st.tuples(member_names, contents), max_size=5),
       st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
def test_fuzz_archives_with_odd_members(tmp_path, members, compression):
    (tmp_path / "odd.npz").write_bytes(zip_bytes(members, compression))
    loaded = load_or_refuse(tmp_path / "odd.npz")
    if loaded is not None:
        names = {name.removesuffix(".npy") for name, _ in members}
        assert set(loaded) <= names
        assert all(isinstance(v, np.ndarray) and v.dtype.kind in "biuf" for v in loaded.values())


@fixture_ok
@given(st.lists(st.integers(0, 2**62), min_size=1, max_size=4), st.sampled_from(["<f8", "|u1", "<i4"]))
def test_fuzz_huge_declared_shapes_are_refused_without_allocating(tmp_path, shape, descr):
    (tmp_path / "huge.npz").write_bytes(zip_bytes([("w.npy", npy_header(shape, descr) + b"\0" * 32)]))
    declared = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
    peak = peak_allocation(lambda: load_or_refuse(tmp_path / "huge.npz"))
    assert peak < 1_000_000
    if declared != 32:
        assert load_or_refuse(tmp_path / "huge.npz") is None


# ---- state dicts that lack parts: refused, naming what is missing -----------------------------------


def trained_adam(shapes=((3, 2), (2,)), with_grad=(True, True)):
    params = [nn.Parameter(np.ones(s, np.float32)) for s in shapes]
    opt = Adam(params, lr=0.1)
    for p, has in zip(params, with_grad):
        if has:
            p.grad = Tensor(np.full(p.shape, 0.5, np.float32))
    opt.step()
    return opt


def fresh_adam(shapes=((3, 2), (2,))):
    return Adam([nn.Parameter(np.ones(s, np.float32)) for s in shapes], lr=0.1)


def optimizer_snapshot(opt):
    """(hyperparameters as text, each parameter's state as copies), to tell that nothing changed."""
    params = [p for group in opt.param_groups for p in group["params"]]
    return repr(opt.param_groups), [{k: np.array(v) for k, v in opt.state.get(p, {}).items()} for p in params]


def drop(tree, *path):
    node = tree
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return tree


@pytest.mark.parametrize("path, match", [
    (("state",), r"missing keys: state\.0\.exp_avg, state\.0\.exp_avg_sq, state\.0\.step, state\.1\.exp_avg, "
                 r"state\.1\.exp_avg_sq, state\.1\.step"),
    (("state", "1"), r"missing keys: state\.1\.exp_avg, state\.1\.exp_avg_sq, state\.1\.step"),
    (("state", "0", "exp_avg_sq"), r"missing keys: state\.0\.exp_avg_sq"),
    (("param_groups", "0", "with_state"), r"missing keys: param_groups\.0\.with_state"),
    (("param_groups", "0", "params"), r"missing keys: param_groups\.0\.params"),
    (("param_groups", "0", "betas"), r"missing keys: param_groups\.0\.betas"),
    (("param_groups",), "not an optimizer state dict"),
], ids=["all state", "one parameter", "one moment", "with_state", "params", "a hyperparameter", "param_groups"])
def test_adam_refuses_a_state_dict_missing_parts_and_changes_nothing(path, match, tmp_path):
    saved = drop(trained_adam().state_dict(), *path)
    target = trained_adam()
    before = optimizer_snapshot(target)
    with pytest.raises(ValueError, match=match):
        target.load_state_dict(saved)
    after = optimizer_snapshot(target)
    assert before[0] == after[0]
    for old, new in zip(before[1], after[1]):
        assert_same(old, new)


def test_adam_refuses_the_file_an_interrupted_old_style_save_left(tmp_path):
    # what the old save left when interrupted after param_groups: a valid .npz without the state
    tg.save(trained_adam().state_dict(), tmp_path / "full.npz")
    flat = tg.load(tmp_path / "full.npz")
    with open(tmp_path / "opt.npz", "wb") as f:
        np.savez(f, **{k: v for k, v in flat.items() if k.startswith("param_groups")})
    with pytest.raises(ValueError, match=r"missing keys: state\.0\.exp_avg"):
        fresh_adam().load_state_dict(tg.load(tmp_path / "opt.npz"))


def test_adam_state_round_trips_when_some_parameters_have_no_state(tmp_path):
    opt = trained_adam(shapes=((3, 2), (2,), (4,)), with_grad=(True, False, True))
    tg.save(opt.state_dict(), tmp_path / "opt.npz")
    resumed = fresh_adam(shapes=((3, 2), (2,), (4,)))
    resumed.load_state_dict(tg.load(tmp_path / "opt.npz"))
    params = resumed.param_groups[0]["params"]
    assert [p in resumed.state for p in params] == [True, False, True]
    assert resumed.state[params[2]]["step"] == 1


def test_an_optimizer_refuses_state_for_a_parameter_listed_without_state():
    sd = trained_adam(with_grad=(True, False)).state_dict()
    sd["state"]["1"] = sd["state"]["0"]
    with pytest.raises(ValueError, match="state for parameter 1, which param_groups.0.with_state does not list"):
        fresh_adam().load_state_dict(sd)


def test_stateless_optimizers_list_no_parameters_with_state():
    p = nn.Parameter(np.ones(2, np.float32))
    opt = SGD([p], lr=0.1)
    p.grad = Tensor(np.ones(2, np.float32))
    opt.step()
    sd = opt.state_dict()
    assert sd["state"] == {} and sd["param_groups"]["0"]["with_state"].tolist() == []
    SGD([nn.Parameter(np.ones(2, np.float32))], lr=0.1).load_state_dict(sd)


def test_a_model_refuses_a_file_missing_an_entry_and_changes_nothing(tmp_path):
    source = nn.Sequential(nn.Linear(3, 4, rng=1), nn.Linear(4, 2, rng=1))
    target = nn.Sequential(nn.Linear(3, 4, rng=2), nn.Linear(4, 2, rng=2))
    state = source.state_dict()
    del state["1.bias"], state["0.weight"]
    tg.save(state, tmp_path / "partial.npz")
    before = {k: v.copy() for k, v in target.state_dict().items()}
    with pytest.raises(nn.StateDictError, match=r"(?s)nothing was loaded.*missing keys: 0\.weight, 1\.bias"):
        target.load(tmp_path / "partial.npz")
    assert_same(before, target.state_dict())


def test_a_device_is_written_not_replaced(tmp_path):
    """Renaming a temporary file over /dev/full (as root) would replace the device with a file."""
    import os
    import stat

    from tinygrad_udl.files import atomic_write
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with atomic_write(fifo, "wb") as f:
            f.write(b"abc")
        assert os.read(reader, 10) == b"abc"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)            # still a pipe
    assert not list(tmp_path.glob(".pipe.*.tmp"))
