"""The way back from PyTorch: ``from_torch`` on the module ``to_torch`` made gives the graph it
was made from, with the weights torch trained (the road of docs/distributed.md)."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import graphnn as gn
from graphnn.export import ExportError, from_torch, to_torch


# ---------------------------------------------------------------------------- from_torch(to_torch(g))
def two_branch_graph(dtype=np.float64):
    """Inputs, z-scoring, two branches added and concatenated, a tied weight, two weighted
    objectives: every kind of node to_torch writes."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(12, 3)).astype(dtype) * 5 + 2
    g = gn.Graph()
    x, y, t = g.input("X"), g.input("Y"), g.input("T")
    z = g.add(gn.InputLayer(X), x, name="zscore")
    a = g.add(gn.FullyConnectedLayer(3, 3, seed=1, dtype=dtype), z, name="branch.a")
    b = g.add(gn.FullyConnectedLayer(3, 3, seed=2, dtype=dtype), z, name="branch.b")
    g.op("branch.b").weights = g.op("branch.a").weights  # tied
    s = g.add(gn.AddLayer(), g.add(gn.TanhLayer(), a), g.add(gn.ReLULayer(), b), name="sum")
    c = g.add(gn.ConcatLayer(), s, g.add(gn.LinearLayer(), z), name="concat")
    p = g.add(gn.SoftmaxLayer(), g.add(gn.FullyConnectedLayer(6, 2, seed=4, dtype=dtype), c, name="head"))
    g.add(gn.CrossEntropy(), y, p, name="ce", weight=0.7)
    q = g.add(gn.LogisticSigmoidLayer(), g.add(gn.FullyConnectedLayer(3, 1, seed=5, dtype=dtype), s, name="side"))
    g.add(gn.LogLoss(), t, q, name="ll", weight=0.3)
    feed = {"X": X, "Y": np.eye(2, dtype=dtype)[rng.integers(0, 2, 12)],
            "T": rng.integers(0, 2, (12, 1)).astype(dtype)}
    return g, feed


def test_from_torch_gives_back_the_graph_to_torch_was_given():
    g, feed = two_branch_graph()
    back = from_torch(to_torch(g))
    assert back.nodes == g.nodes and back.inputs == g.inputs and back.objectives == g.objectives
    assert back.to_dot().source == g.to_dot().source
    assert [back.nx.nodes[o]["weight"] for o in back.objectives] == [0.7, 0.3]
    assert back.forward(**feed) == g.forward(**feed)
    back.backward()
    g.backward()
    for (name, p), (_, q) in zip(back.named_parameters(), g.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value, err_msg=name)
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=name)
    assert back.op("branch.b").weights is back.op("branch.a").weights  # tied again
    np.testing.assert_array_equal(back.op("zscore").stdX, g.op("zscore").stdX)


def test_from_torch_brings_back_the_weights_torch_trained():
    g, feed = two_branch_graph()
    module = to_torch(g)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    tensors = {k: torch.tensor(v) for k, v in feed.items()}
    for _ in range(3):
        optimizer.zero_grad()
        module.objective(**tensors).backward()
        optimizer.step()
    back = from_torch(module)
    assert back.forward(**feed) == pytest.approx(module.objective(**tensors).item(), rel=1e-12)
    assert module.output_names == ["sigmoid1", "softmax1"]
    for name, P in zip(module.output_names, module(tensors["X"]), strict=True):
        np.testing.assert_allclose(back.value(name), P.detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(back.op("head").weights.value, module.layers["head"].weight.detach().numpy().T)
    assert not np.array_equal(back.op("head").weights.value, g.op("head").weights.value)


def test_from_torch_keeps_the_modules_dtype():
    g, feed = two_branch_graph(np.float32)
    back = from_torch(to_torch(g))
    assert back.op("head").weights.value.dtype == np.float32
    assert back.op("zscore").meanX.dtype == np.float32
    assert back.forward(**feed) == g.forward(**feed)
    back64 = from_torch(to_torch(two_branch_graph()[0]).float())  # a module cast in torch
    assert back64.op("head").weights.value.dtype == np.float32


def test_from_torch_refuses_a_wrapper_and_a_module_changed_by_hand():
    g, _ = two_branch_graph()
    module = to_torch(g)
    with pytest.raises(ExportError, match=r"got DataParallel \(or a module to_torch made; pass the model it wraps"):
        from_torch(torch.nn.DataParallel(module))
    module.layers["sum"] = torch.nn.Dropout()
    with pytest.raises(ExportError, match="node 'sum' of the module holds a Dropout, which to_torch does not make"):
        from_torch(module)


def test_a_linear_a_sequential_runs_twice_comes_in_twice_and_tied():
    shared = torch.nn.Linear(2, 2).double()
    net = torch.nn.Sequential(OrderedDict([("a", shared), ("t", torch.nn.Tanh()), ("b", shared)]))
    g = from_torch(net)
    assert g.nodes == ["X", "a", "t", "b"]
    assert g.op("a").weights is g.op("b").weights and g.op("a").biases is g.op("b").biases
    X = np.random.default_rng(0).normal(size=(4, 2))
    g.forward(X=X)
    np.testing.assert_allclose(g.value("b"), net(torch.tensor(X)).detach().numpy(), rtol=1e-12)
