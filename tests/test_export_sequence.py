"""Exporting the new layers in context (issue 27): an unrolled RNN and GRU, with batch norm
and dropout on top, as plain ONNX operators (onnxruntime gives graphnn's prediction and ``J``
at inference) and back, and as a torch module (the same ``J`` and gradients, tied weights one
``nn.Parameter``); a torch ``Sequential`` with ``Dropout`` and ``BatchNorm1d`` read in."""
import numpy as np
import onnxruntime as ort
import pytest
import torch

import graphnn as gn
from graphnn.export import from_onnx, from_torch, to_onnx, to_torch
from graphnn.grading.gradcheck import relative_error

CELLS = pytest.mark.parametrize("make_cell", [
    lambda: gn.RNNCell(2, 4, seed=0), lambda: gn.GRUCell(2, 4, seed=0)], ids=["rnn", "gru"])
T, N = 4, 6


def sequence_model(cell):
    g = gn.Graph()
    states = gn.unroll(g, cell, g.input("X"), steps=T)
    bn = gn.BatchNormLayer(cell.hidden_size)
    bn.running_mean[:] = 0.1
    bn.running_var[:] = 1.5
    top = g.add(gn.DropoutLayer(0.25, seed=0), g.add(bn, states[-1], name="bn"), name="drop")
    readout = gn.FullyConnectedLayer(cell.hidden_size, 1, seed=1)
    readout.setWeights(np.linspace(-1, 1, cell.hidden_size).reshape(-1, 1))
    g.add(gn.SquaredError(), g.input("Y"), g.add(readout, top, name="readout"))
    g.op(f"{cell.short_name}.h0").state.value[:] = 0.2
    rng = np.random.default_rng(0)
    return g, {"X": rng.standard_normal((N, T * cell.input_size)), "Y": rng.standard_normal((N, 1))}


@CELLS
def test_an_unrolled_network_runs_in_onnxruntime_as_plain_operators(make_cell):
    g, feed = sequence_model(make_cell())
    model = to_onnx(g, objective=True)
    ops = {node.op_type for node in model.graph.node}
    assert {"Gemm", "Slice", "Expand", "BatchNormalization", "Dropout"} <= ops
    assert ("Sigmoid" in ops) == isinstance(make_cell(), gn.GRUCell)   # the gates
    prediction, J = ort.InferenceSession(model.SerializeToString()).run(None, feed)
    g.eval()
    assert relative_error(J, g.forward(**feed)) < 1e-12
    assert relative_error(prediction, g.value("readout")) < 1e-12
    back = from_onnx(model.SerializeToString(), outputs="readout").eval()
    back.forward(X=feed["X"])
    np.testing.assert_allclose(back.value("readout"), g.value("readout"), rtol=1e-13)


@CELLS
def test_an_unrolled_network_as_a_torch_module_gives_the_same_loss_and_gradients(make_cell):
    cell = make_cell()
    g, feed = sequence_model(cell)
    g.eval()   # dropout off: the same numbers in both (batch norm with its running statistics)
    module = to_torch(g)
    assert not module.training
    tied = {id(p) for p in module.parameters()}
    assert len(tied) == len(g.parameters())                 # one nn.Parameter per tied weight
    J = module.objective(**{k: torch.tensor(v) for k, v in feed.items()})
    J.backward()
    assert relative_error(J.item(), g.forward(**feed)) < 1e-12
    g.backward()
    key = f"{cell.short_name}_t1_xw" if isinstance(cell, gn.RNNCell) else f"{cell.short_name}_t1_xr"
    W = cell.parameters()[0]
    assert relative_error(module.layers[key].weight.grad.numpy().T, W.grad) < 1e-10
    assert relative_error(module.layers["bn"].weight.grad.numpy(), g.op("bn").scale.grad[0]) < 1e-10
    g.train()
    assert to_torch(g).training


def test_a_torch_sequential_with_dropout_and_batch_norm_comes_in():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                              torch.nn.Dropout(0.3), torch.nn.Linear(5, 1)).double()
    seq(torch.randn(20, 3, dtype=torch.float64))            # moves the running statistics
    seq.eval()
    g = from_torch(seq)
    assert not g.training
    assert [type(g.op(n)).__name__ for n in g.nodes[1:]] == [
        "FullyConnectedLayer", "BatchNormLayer", "ReLULayer", "DropoutLayer", "FullyConnectedLayer"]
    X = np.random.default_rng(1).standard_normal((4, 3))
    _, out = g.forward(X=X, outputs=g.nodes[-1])
    np.testing.assert_allclose(out[g.nodes[-1]], seq(torch.tensor(X)).detach().numpy(), rtol=1e-12)


@CELLS
def test_the_module_to_torch_made_comes_back_as_the_unrolled_graph(make_cell):
    g, feed = sequence_model(make_cell())
    g.eval()
    back = from_torch(to_torch(g))
    assert back.nodes == g.nodes and not back.training
    assert len(back.parameters()) == len(g.parameters())      # tied weights tied again
    assert relative_error(back.forward(**feed), g.forward(**feed)) < 1e-13
