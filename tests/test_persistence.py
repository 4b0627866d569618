"""save_parameters / load_parameters: bit-exact round trips, clear refusals, atomic writes."""
import os
import sys

import numpy as np
import pytest

import graphnn as gn
from graphnn.training import persistence
from graphnn.training.persistence import ParameterFileError, load_parameters, parameter_keys, save_parameters


def mlp(seed=0, hidden=5, dtype=np.float64):
    fc1 = gn.FullyConnectedLayer(4, hidden, seed=seed, dtype=dtype)
    fc2 = gn.FullyConnectedLayer(hidden, 2, seed=seed + 1, dtype=dtype)
    # Values with all 52 mantissa bits in use, so a lossy round trip would show.
    rng = np.random.default_rng(seed)
    for fc in (fc1, fc2):
        fc.setWeights(rng.normal(size=fc.getWeights().shape) / 3)
        fc.setBiases(rng.normal(size=fc.getBiases().shape) / 7)
    g = gn.Graph()
    x = g.input("X")
    h = g.add(fc1, x, name="fc1")
    h = g.add(gn.TanhLayer(), h, name="tanh")
    g.add(fc2, h, name="fc2")
    return g


def values(graph):
    return {key: p.value.copy() for key, p in parameter_keys(graph).items()}


def no_temporary_files(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")] == []


def test_keys_are_node_slash_parameter(tmp_path):
    path = tmp_path / "params.npz"
    save_parameters(mlp(), path)
    with np.load(path) as data:
        assert data.files == ["fc1/weights", "fc1/biases", "fc2/weights", "fc2/biases"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    source, target = mlp(seed=0, dtype=dtype), mlp(seed=10, dtype=dtype)
    path = tmp_path / "params.npz"
    save_parameters(source, path)
    arrays_before = {key: p.value for key, p in parameter_keys(target).items()}
    load_parameters(target, path)
    for key, p in parameter_keys(target).items():
        expected = parameter_keys(source)[key].value
        assert p.value.dtype == expected.dtype
        assert p.value.tobytes() == expected.tobytes()
        assert p.value is arrays_before[key]  # copied in place: layers see the new values
    X = np.random.default_rng(1).normal(size=(6, 4)).astype(dtype)
    assert np.array_equal(source.forward(X=X, outputs="fc2")[1]["fc2"], target.forward(X=X, outputs="fc2")[1]["fc2"])
    # Saving the loaded graph gives the same arrays again.
    again = tmp_path / "again.npz"
    save_parameters(target, again)
    with np.load(path) as a, np.load(again) as b:
        assert all(a[k].tobytes() == b[k].tobytes() for k in a.files)


def test_a_trained_model_round_trips(tmp_path):
    from graphnn.training.optim import Adam
    from graphnn.training.fit import fit, predict

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = (X[:, :1] > 0).astype(float)
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(3, 1, seed=0), gn.LogisticSigmoidLayer(),
                                objective=gn.LogLoss())
    fit(graph, X, Y, epochs=20, optimizer=Adam(graph.parameters(), lr=0.1), progress=False)
    save_parameters(graph, tmp_path / "model.npz")
    fresh = gn.Graph.sequential(gn.FullyConnectedLayer(3, 1, seed=5), gn.LogisticSigmoidLayer(),
                                objective=gn.LogLoss())
    load_parameters(fresh, tmp_path / "model.npz")
    assert np.array_equal(predict(fresh, X), predict(graph, X))


def test_the_path_is_used_as_given(tmp_path):
    path = tmp_path / "model.params"
    save_parameters(mlp(), path)
    assert path.exists() and not (tmp_path / "model.params.npz").exists()
    load_parameters(mlp(seed=3), str(path))


def test_mismatched_shape_is_refused_naming_node_parameter_and_shapes(tmp_path):
    path = tmp_path / "params.npz"
    save_parameters(mlp(hidden=5), path)
    target = mlp(seed=4, hidden=6)
    before = values(target)
    with pytest.raises(ParameterFileError) as info:
        load_parameters(target, path)
    message = str(info.value)
    assert "node 'fc1' parameter 'weights': the file has shape 4 x 5, the graph 4 x 6" in message
    assert "node 'fc2' parameter 'weights': the file has shape 5 x 2, the graph 6 x 2" in message
    assert "node 'fc1' parameter 'biases': the file has shape 1 x 5, the graph 1 x 6" in message
    assert isinstance(info.value, ValueError)
    for key, value in values(target).items():  # nothing was changed
        assert np.array_equal(value, before[key])


def test_missing_and_unexpected_nodes_are_named(tmp_path):
    path = tmp_path / "params.npz"
    save_parameters(mlp(), path)
    g = gn.Graph()
    h = g.add(gn.FullyConnectedLayer(4, 5, seed=0), g.input("X"), name="fc1")
    g.add(gn.FullyConnectedLayer(5, 2, seed=0), h, name="head")
    with pytest.raises(ParameterFileError) as info:
        load_parameters(g, path)
    message = str(info.value)
    assert "missing from the file: node 'head' (weights, biases)" in message
    assert "in the file but not in the graph: node 'fc2' (weights, biases)" in message


def test_a_dtype_mismatch_is_refused(tmp_path):
    path = tmp_path / "params.npz"
    save_parameters(mlp(dtype=np.float32), path)
    with pytest.raises(ParameterFileError, match="node 'fc1' parameter 'weights': the file has dtype float32, the graph float64"):
        load_parameters(mlp(), path)


def test_files_that_are_not_parameter_files(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ParameterFileError, match="not a readable .npz"):
        load_parameters(mlp(), text)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ParameterFileError, match="single array"):
        load_parameters(mlp(), single)
    truncated = tmp_path / "truncated.npz"
    save_parameters(mlp(), truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    with pytest.raises(ParameterFileError):
        load_parameters(mlp(), truncated)
    with pytest.raises(FileNotFoundError):
        load_parameters(mlp(), tmp_path / "absent.npz")


def _damaged(raw, where, data):
    """``raw`` with ``data`` written at ``where`` (a function of the bytes giving an offset)."""
    raw = bytearray(raw)
    start = where(raw)
    raw[start:start + len(data)] = data
    return bytes(raw)


@pytest.mark.parametrize("saver, where, data", [
    # a compressed member whose deflate stream is broken: zlib.error
    (np.savez_compressed, lambda raw: 60, bytes(10)),
    # the central directory claims encryption (RuntimeError) or an unknown method (NotImplementedError)
    (np.savez, lambda raw: raw.find(b"PK\x01\x02") + 8, b"\x01\x00"),
    (np.savez, lambda raw: raw.find(b"PK\x01\x02") + 10, b"\x63\x00"),
    # the end record points the central directory before the file's start: OSError from seek
    (np.savez, lambda raw: raw.find(b"PK\x05\x06") + 16, b"\x00\x00\x00\x80"),
], ids=["deflate", "encrypted", "method", "offset"])
def test_a_damaged_archive_is_a_parameter_file_error(tmp_path, saver, where, data):
    path = tmp_path / "damaged.npz"
    graph = mlp()
    saver(path, **{key: p.value for key, p in parameter_keys(graph).items()})
    path.write_bytes(_damaged(path.read_bytes(), where, data))
    before = [p.value.copy() for p in graph.parameters()]
    with pytest.raises(ParameterFileError, match="damaged"):
        load_parameters(graph, path)
    for p, value in zip(graph.parameters(), before):
        np.testing.assert_array_equal(p.value, value)


def test_shared_parameters_are_stored_once_and_loaded_into_every_user(tmp_path):
    def tied(seed):
        a = gn.FullyConnectedLayer(3, 3, seed=seed)
        b = gn.FullyConnectedLayer(3, 3, seed=seed + 1)
        b.weights = a.weights  # weight tying
        g = gn.Graph()
        h = g.add(a, g.input("X"), name="enc")
        g.add(b, h, name="dec")
        return g, a, b

    g, _, _ = tied(0)
    save_parameters(g, tmp_path / "tied.npz")
    with np.load(tmp_path / "tied.npz") as data:
        assert data.files == ["enc/weights", "enc/biases", "dec/biases"]
    g2, a2, b2 = tied(7)
    load_parameters(g2, tmp_path / "tied.npz")
    assert a2.weights is b2.weights
    assert np.array_equal(a2.getWeights(), parameter_keys(g)["enc/weights"].value)


def test_a_graph_without_parameters_saves_an_empty_file(tmp_path):
    g = gn.Graph.sequential(gn.ReLULayer())
    save_parameters(g, tmp_path / "empty.npz")
    load_parameters(g, tmp_path / "empty.npz")


# ---------------------------------------------------------------------------- atomic writes
@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "params.npz"
    save_parameters(mlp(seed=0), path)
    return path, path.read_bytes()


def test_a_save_that_fails_while_writing_leaves_the_old_file_intact(old_file, monkeypatch):
    path, old_bytes = old_file
    real_savez = np.savez

    def crash_mid_write(file, **arrays):
        file.write(b"PK\x03\x04 half a zip file")  # some bytes reach the disk, then...
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        save_parameters(mlp(seed=1), path)
    assert path.read_bytes() == old_bytes
    assert no_temporary_files(path.parent)
    monkeypatch.setattr(np, "savez", real_savez)
    load_parameters(mlp(seed=2), path)  # still a good file


def test_a_save_interrupted_by_ctrl_c_leaves_the_old_file_intact(old_file, monkeypatch):
    path, old_bytes = old_file

    def interrupted(file, **arrays):
        file.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_parameters(mlp(seed=1), path)
    assert path.read_bytes() == old_bytes
    assert no_temporary_files(path.parent)


def test_a_failing_rename_leaves_the_old_file_intact(old_file, monkeypatch):
    path, old_bytes = old_file

    def refuse(src, dst):
        raise PermissionError("rename refused")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        save_parameters(mlp(seed=1), path)
    assert path.read_bytes() == old_bytes
    assert no_temporary_files(path.parent)


def test_the_new_file_replaces_the_old_one_whole(old_file):
    path, old_bytes = old_file
    save_parameters(mlp(seed=1), path)
    assert path.read_bytes() != old_bytes
    target = mlp(seed=5)
    load_parameters(target, path)
    for key, value in values(target).items():
        assert np.array_equal(value, values(mlp(seed=1))[key])
    assert no_temporary_files(path.parent)


def test_saving_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        save_parameters(mlp(), tmp_path / "absent" / "params.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_the_file_gets_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        save_parameters(mlp(), tmp_path / "params.npz")
    finally:
        os.umask(mask)
    assert (tmp_path / "params.npz").stat().st_mode & 0o777 == 0o644


def test_two_parameters_with_one_name_are_refused():
    class Twin(gn.ReLULayer):
        def __init__(self):
            super().__init__()
            self.a = gn.Parameter(np.zeros((1, 1)), "w")
            self.b = gn.Parameter(np.ones((1, 1)), "w")

        def parameters(self):
            return (self.a, self.b)

    g = gn.Graph.sequential(Twin())
    with pytest.raises(ParameterFileError, match="two parameters named 'w'"):
        persistence.parameter_keys(g)
