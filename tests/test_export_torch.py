"""graphnn.export's PyTorch half (issue 18): to_torch's module computes graphnn's forward and,
through autograd, graphnn's backward; from_torch brings an ``nn.Sequential`` in; bad input.

graphnn's conventions (docs/conventions.md): a parameter's gradient is the derivative of the
mean objective ``J``, which is what ``J.backward()`` gives in torch (nn.Linear stores ``W^T``);
the gradient on an edge is per observation, ``N`` times torch's ``dJ/dvalue``. Tolerances as in
``export_cases.TOLERANCE``: ``rtol 1e-12`` in float64, ``1e-5`` in float32.
"""
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import graphnn as gn
from export_cases import (
    DTYPES, LAYERS, OBJECTIVES, TOLERANCE, feed_for, forward_value, layer_graph, mixed_graph, objective_case,
)
from graphnn.export import ExportError, from_torch, to_torch

FLOATS = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def tensors(feed, requires_grad=()):
    return {name: torch.tensor(value, requires_grad=name in requires_grad) for name, value in feed.items()}


@FLOATS
@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_computes_graphnns_forward_in_torch(name, dtype):
    g = layer_graph(name, dtype)
    feed = feed_for(g, dtype)
    module = to_torch(g)
    got = module(**tensors(feed)).detach().numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, forward_value(g, feed, "out"), **TOLERANCE[dtype])
    positional = module(*[torch.tensor(feed[n]) for n in module.input_names]).detach().numpy()
    np.testing.assert_array_equal(positional, got)


@FLOATS
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_autograd_gradients_of_the_objective_equal_graphnns_backward(objective, dtype):
    n = 9
    g, feed = objective_case(objective, dtype, n)
    g.set_requires_grad("X")
    J = g.forward(**feed)
    g.backward()
    module = to_torch(g)
    inputs = tensors(feed, requires_grad={"X"})
    J_torch = module.objective(**inputs)
    J_torch.backward()
    np.testing.assert_allclose(J_torch.item(), J, **TOLERANCE[dtype])
    for node in ("fc_a", "fc_b", "head"):
        linear = module.layers[node]
        np.testing.assert_allclose(linear.weight.grad.numpy().T, g.op(node).weights.grad, **TOLERANCE[dtype])
        np.testing.assert_allclose(linear.bias.grad.numpy()[None, :], g.op(node).biases.grad, **TOLERANCE[dtype])
    # per observation in graphnn, of the mean J in torch: N times
    np.testing.assert_allclose(n * inputs["X"].grad.numpy(), g.grad("X"), **TOLERANCE[dtype])


def test_a_shared_parameter_stays_shared_and_sums_its_gradients():
    g = gn.Graph()
    x, y = g.input("X"), g.input("Y")
    first = gn.FullyConnectedLayer(2, 2, seed=0)
    second = gn.FullyConnectedLayer(2, 2, seed=1)
    second.weights = first.weights  # weight tying
    h = g.add(gn.TanhLayer(), g.add(first, x, name="first"))
    g.add(gn.SquaredError(), y, g.add(second, h, name="second"))
    feed = {"X": np.array([[1.0, -2.0], [0.5, 3.0]]), "Y": np.array([[0.0, 1.0], [1.0, 0.0]])}
    g.forward(**feed)
    g.backward()
    module = to_torch(g)
    assert module.layers["first"].weight is module.layers["second"].weight
    assert len(list(module.parameters())) == 3  # one weight matrix, two bias vectors
    module.objective(**tensors(feed)).backward()
    np.testing.assert_allclose(module.layers["first"].weight.grad.numpy().T, first.weights.grad, rtol=1e-12)


def test_the_module_is_trainable_in_torch_and_its_weights_are_copies():
    g = mixed_graph(np.float64, gn.SquaredError())
    before = g.op("head").weights.value.copy()
    module = to_torch(g)
    with torch.no_grad():
        module.layers["head"].weight += 1.0
    np.testing.assert_array_equal(g.op("head").weights.value, before)


@settings(max_examples=25)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    activations=st.lists(st.sampled_from(["relu", "sigmoid", "tanh", "softmax", "identity"]), min_size=4, max_size=4),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_random_sequentials_come_in_with_torchs_values_and_gradients(widths, activations, n, seed):
    torch.manual_seed(seed)
    kinds = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
             "softmax": lambda: torch.nn.Softmax(dim=1), "identity": torch.nn.Identity}
    children = []
    for k, (size_in, size_out) in enumerate(zip(widths, widths[1:])):
        children += [torch.nn.Linear(size_in, size_out, bias=k % 2 == 0), kinds[activations[k]]()]
    net = torch.nn.Sequential(*children).double()
    g = from_torch(net)
    last = g.nodes[-1]
    g.add(gn.SquaredError(), g.input("Y"), last, name="loss")
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, widths[0])), rng.normal(size=(n, widths[-1]))
    J = g.forward(X=X, Y=Y)
    g.backward()
    P = net(torch.tensor(X))
    np.testing.assert_allclose(P.detach().numpy(), g.value(last), **TOLERANCE[np.float64])
    J_torch = ((torch.tensor(Y) - P) ** 2).sum(dim=1).mean()
    J_torch.backward()
    assert J == pytest.approx(J_torch.item(), rel=1e-12)
    fcs = [n for n in g.nodes if isinstance(g.op(n), gn.FullyConnectedLayer)]
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for node, linear in zip(fcs, linears):
        np.testing.assert_allclose(g.op(node).weights.grad, linear.weight.grad.numpy().T, rtol=1e-10, atol=1e-14)


def test_from_torch_names_nodes_after_named_children_and_keeps_the_dtype():
    net = torch.nn.Sequential(OrderedDict([("hidden", torch.nn.Linear(3, 2)), ("act", torch.nn.Sigmoid())]))
    g = from_torch(net, input="features")
    assert g.nodes == ["features", "hidden", "act"]
    assert g.op("hidden").weights.value.dtype == np.float32  # torch's default
    np.testing.assert_array_equal(g.op("hidden").weights.value, net.hidden.weight.detach().numpy().T)
    plain = from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()))
    assert plain.nodes == ["X", "fc1", "relu1"]


def test_the_round_trip_through_torch_keeps_a_chain():
    g = gn.Graph.sequential(gn.FullyConnectedLayer(3, 4, seed=0), gn.TanhLayer(), gn.FullyConnectedLayer(4, 2, seed=1), gn.SoftmaxLayer())
    module = to_torch(g)
    back = from_torch(torch.nn.Sequential(*module.layers.values()))
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(forward_value(back, {"X": X}, "softmax1"), forward_value(g, {"X": X}, "softmax1"))


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("child, detail", [
    (torch.nn.ELU(), r"layer '1' of the Sequential \(ELU\)"),
    (torch.nn.Softmax(dim=0), r"layer '1' of the Sequential \(Softmax over dim 0\)"),
    (torch.nn.LeakyReLU(), r"layer '1' of the Sequential \(LeakyReLU\)"),
])
def test_a_layer_from_torch_cannot_map_is_refused_by_name(child, detail):
    with pytest.raises(ExportError, match=detail + ": graphnn maps Linear, ReLU"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), child))


def test_from_torch_takes_a_sequential_only():
    with pytest.raises(ExportError, match="from_torch takes an nn.Sequential, got Linear"):
        from_torch(torch.nn.Linear(2, 2))


def test_to_torch_refuses_a_graph_with_no_prediction():
    g = gn.Graph()
    g.input("X")
    with pytest.raises(ExportError, match="no prediction to export"):
        to_torch(g)


def test_the_objective_of_a_graph_without_one_is_refused():
    module = to_torch(layer_graph("TanhLayer", np.float64))
    with pytest.raises(ExportError, match="has no objective"):
        module.objective(X=torch.zeros(1, 3, dtype=torch.float64))


def test_a_missing_input_is_named():
    module = to_torch(layer_graph("AddLayer", np.float64))
    with pytest.raises(TypeError, match=r"missing input\(s\) 'Z1'; the module reads \['X', 'Z1'\]"):
        module(torch.zeros(1, 3, dtype=torch.float64))


def test_a_missing_torch_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r'pip install -e "\.\[torch\]"'):
        to_torch(layer_graph("TanhLayer", np.float64))


# ---------------------------------------------------------------------------- issue 29: the audit's cases
def test_a_module_used_twice_in_a_sequential_gives_two_layers_sharing_its_weights():
    """Issue 29, item 4: named_children() lists a module once; the Sequential runs it twice."""
    torch.manual_seed(0)
    shared, tanh = torch.nn.Linear(3, 3), torch.nn.Tanh()
    net = torch.nn.Sequential(shared, tanh, shared, tanh).double()
    g = from_torch(net)
    assert [type(g.op(n)).__name__ for n in g.nodes[1:]] == [
        "FullyConnectedLayer", "TanhLayer", "FullyConnectedLayer", "TanhLayer"]
    first, second = g.nodes[1], g.nodes[3]
    assert g.op(first).weights is g.op(second).weights and g.op(first).biases is g.op(second).biases
    X, Y = np.random.default_rng(0).normal(size=(5, 3)), np.random.default_rng(1).normal(size=(5, 3))
    P = net(torch.tensor(X))
    np.testing.assert_allclose(forward_value(g, {"X": X}, g.nodes[-1]), P.detach().numpy(), rtol=1e-12)
    g.add(gn.SquaredError(), g.input("Y"), g.nodes[-1], name="loss")
    g.forward(X=X, Y=Y)
    g.backward()
    ((torch.tensor(Y) - P) ** 2).sum(dim=1).mean().backward()  # torch sums the two uses' gradients
    np.testing.assert_allclose(g.op(first).weights.grad, shared.weight.grad.numpy().T, rtol=1e-10)


def test_nested_sequentials_are_read_in_place_and_named_by_their_path():
    inner = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(3, 2)), ("act", torch.nn.ReLU())]))
    net = torch.nn.Sequential(OrderedDict([("enc", inner), ("out", torch.nn.Linear(2, 1))])).double()
    g = from_torch(net)
    assert g.nodes == ["X", "enc.fc", "enc.act", "out"]
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(forward_value(g, {"X": X}, "out"), net(torch.tensor(X)).detach().numpy(), rtol=1e-12)


def test_to_torch_keeps_nodes_whose_keys_would_collide_apart():
    """Issue 29, item 5: ``enc.fc`` and ``enc_fc`` both became key ``enc_fc``: one module."""
    g = gn.Graph()
    x = g.input("X")
    g.add(gn.FullyConnectedLayer(3, 2, seed=0), x, name="enc.fc")
    g.add(gn.FullyConnectedLayer(3, 2, seed=1), x, name="enc_fc")
    g.add(gn.AddLayer(), "enc.fc", "enc_fc", name="out")
    module = to_torch(g)
    assert module.layer("enc.fc") is not module.layer("enc_fc")
    assert module.keys == {"enc.fc": "enc_fc", "enc_fc": "enc_fc_2", "out": "out"}
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(module(torch.tensor(X)).detach().numpy(), forward_value(g, {"X": X}, "out"), rtol=1e-12)


def module_dict_names():
    """Every name ``nn.ModuleDict`` uses itself (``train``, ``forward``, ``keys``, ...) that a
    graphnn node may be called."""
    import re
    return [n for n in dir(torch.nn.ModuleDict()) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]


def test_to_torch_takes_nodes_named_like_the_module_dicts_own_attributes():
    """Issue 29, item 10: nodes named ``train`` or ``forward`` raised torch's KeyError; every
    attribute of ``nn.ModuleDict`` is tried."""
    names = module_dict_names()
    assert {"train", "forward", "eval", "keys", "to", "__init__"} <= set(names)
    g = gn.Graph()
    x = g.input("X")
    for k, name in enumerate(names):
        g.add(gn.FullyConnectedLayer(3, 1, seed=k), x, name=name)
    module = to_torch(g)
    X = np.random.default_rng(0).normal(size=(2, 3))
    got = module(torch.tensor(X))
    g.forward(X=X)
    for name, value in zip(module.output_names, got):
        np.testing.assert_allclose(value.detach().numpy(), g.value(name), **TOLERANCE[np.float64])
        assert module.layer(name).weight.shape == (1, 3)
    with pytest.raises(KeyError, match="no layer node 'nope'"):
        module.layer("nope")


def mixed_dtype_graph():
    """A float64 ``InputLayer`` (built from float64 data, numpy's default) before float32 layers."""
    g = gn.Graph()
    g.add(gn.InputLayer(np.random.default_rng(0).normal(size=(8, 3))), g.input("X"), name="z")
    g.add(gn.FullyConnectedLayer(3, 2, seed=0, dtype=np.float32), "z", name="fc")
    g.add(gn.TanhLayer(), "fc", name="out")
    return g


@pytest.mark.parametrize("data_dtype", [np.float32, np.float64, np.int64])
def test_a_float64_input_layer_before_float32_layers_gives_a_float32_module(data_dtype):
    """Issue 29, item 11: "mat1 and mat2 must have the same dtype"."""
    g = mixed_dtype_graph()
    module = to_torch(g)
    assert module.dtype == torch.float32
    assert {p.dtype for p in module.parameters()} | {b.dtype for b in module.buffers()} == {torch.float32}
    X = (3 * np.random.default_rng(1).normal(size=(5, 3))).astype(data_dtype)
    got = module(torch.tensor(X))
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.detach().numpy(), forward_value(g, {"X": X}, "out"), **TOLERANCE[np.float32])
    assert to_torch(g, dtype=np.float64)(torch.tensor(X)).dtype == torch.float64


@pytest.mark.parametrize("half", [torch.bfloat16, torch.float16])
def test_from_torch_of_a_half_precision_model_gives_float32_layers(half):
    """Issue 29, item 11: a bfloat16 model raised torch's TypeError (numpy has no bfloat16)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid()).to(half)
    g = from_torch(net)
    assert g.op("fc1").weights.value.dtype == np.float32 and g.op("fc1").biases.value.dtype == np.float32
    X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    expected = net.float()(torch.tensor(X)).detach().numpy()  # the same (exact) weights in float32
    np.testing.assert_allclose(forward_value(g, {"X": X}, "sigmoid1"), expected, rtol=1e-6)


def test_from_torch_decides_one_dtype_for_a_model_of_mixed_precision():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1).double())
    g = from_torch(net)
    assert {g.op(n).weights.value.dtype for n in ("fc1", "fc2")} == {np.dtype(np.float64)}


def test_from_torch_refuses_integer_weights_by_layer():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    net[0].weight = torch.nn.Parameter(torch.zeros(2, 3, dtype=torch.int32), requires_grad=False)
    with pytest.raises(ExportError, match=r"layer '0' of the Sequential holds torch.int32 weights"):
        from_torch(net)


def test_too_many_positional_inputs_are_refused():
    module = to_torch(layer_graph("TanhLayer", np.float64))
    with pytest.raises(TypeError, match=r"2 inputs given; the module reads \['X'\]"):
        module(torch.zeros(1, 3), torch.zeros(1, 3))


def test_an_empty_sequential_is_refused():
    with pytest.raises(ExportError, match="the Sequential is empty: no layer to import"):
        from_torch(torch.nn.Sequential())


@pytest.mark.parametrize("shape, says", [((3,), "input 'X' is 3; the module reads it N x 3"),
                                          ((2, 4), "input 'X' is 2 x 4; the module reads it N x 3"),
                                          ((), "input 'X' is a scalar")])
def test_inputs_that_are_not_n_by_d_are_named(shape, says):
    """The kind of issue 29's item 16: a vector went through (broadcast by torch) or failed
    inside a layer with torch's own message."""
    module = to_torch(layer_graph("InputLayer", np.float64))
    with pytest.raises(ValueError, match=says):
        module(torch.zeros(shape, dtype=torch.float64))


def test_a_softmax_without_dim_is_torchs_implicit_dim_1():
    with pytest.warns(UserWarning):  # torch warns about the implicit dimension when it runs
        net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Softmax()).double()
        X = np.random.default_rng(0).normal(size=(4, 3))
        expected = net(torch.tensor(X)).detach().numpy()
    g = from_torch(net)
    np.testing.assert_allclose(forward_value(g, {"X": X}, "softmax1"), expected, **TOLERANCE[np.float64])
