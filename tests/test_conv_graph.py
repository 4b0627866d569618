"""The image layers inside a Graph: Conv -> ReLU -> MaxPool -> Flatten -> FC -> objective.

These tests need a graph that carries values of any rank (``N x C x H x W`` fed to an input,
ReLU on images): the work of the nd-values branch. Until it is merged, the graph refuses a
4-D feed and every test here fails at its first ``forward``; the layers themselves are tested
standalone in tests/test_conv_layers.py.
"""
import numpy as np
import torch
import torch.nn.functional as F

import graphnn as gn
from graphnn.core.plan import PARAMETERS_STEP


def digits_like(n=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 1, 8, 8))
    Y = np.eye(3)[rng.integers(0, 3, n)]
    return X, Y


def small_cnn(requires_grad=False):
    conv = gn.ConvolutionalLayer(1, 4, 3, padding=1, seed=0)
    fc = gn.FullyConnectedLayer(4 * 4 * 4, 3, seed=1)
    fc.setWeights(np.random.default_rng(2).uniform(-0.3, 0.3, (64, 3)))
    graph = gn.Graph.sequential(conv, gn.ReLULayer(), gn.MaxPoolLayer(2), gn.FlatteningLayer(), fc,
                                gn.SoftmaxLayer(), objective=gn.CrossEntropy(),
                                requires_grad=requires_grad)
    return graph, conv, fc


def torch_reference(conv, fc, X, Y):
    Xt = torch.tensor(X, requires_grad=True)
    K = torch.tensor(conv.getWeights(), requires_grad=True)
    b = torch.tensor(conv.getBiases(), requires_grad=True)
    W = torch.tensor(fc.getWeights(), requires_grad=True)
    c = torch.tensor(fc.getBiases(), requires_grad=True)
    h = F.max_pool2d(F.relu(F.conv2d(Xt, K, b, padding=1)), 2)
    logits = torch.flatten(h, 1) @ W + c
    J = -(torch.tensor(Y) * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    J.backward()
    return float(J.detach()), Xt.grad.numpy(), K.grad.numpy(), b.grad.numpy(), W.grad.numpy()


def test_node_names_and_shapes():
    graph, _, _ = small_cnn()
    X, Y = digits_like()
    graph.forward({"X": X, "Y": Y})
    assert [name for name in graph.nodes if name not in ("X", "Y")][:4] == ["conv1", "relu1", "pool1", "flat1"]
    assert graph.value("conv1").shape == (6, 4, 8, 8)
    assert graph.value("pool1").shape == (6, 4, 4, 4)
    assert graph.value("flat1").shape == (6, 64)


def test_a_cnn_graph_agrees_with_torch():
    graph, conv, fc = small_cnn(requires_grad=True)
    X, Y = digits_like()
    J = graph.forward({"X": X, "Y": Y})
    graph.backward()
    J_torch, dX, dK, db, dW = torch_reference(conv, fc, X, Y)
    assert abs(J - J_torch) < 1e-12
    np.testing.assert_allclose(conv.weights.grad, dK, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.biases.grad, db, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fc.weights.grad, dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(graph.grad("X"), len(X) * dX, rtol=1e-10, atol=1e-12)  # per observation


def test_the_convolution_reading_data_takes_the_parameters_only_step():
    graph, conv, fc = small_cnn()
    X, Y = digits_like()
    graph.forward({"X": X, "Y": Y})
    graph.backward()
    assert graph.plan.kinds["conv1"] == PARAMETERS_STEP
    _, _, dK, _, _ = torch_reference(conv, fc, X, Y)
    np.testing.assert_allclose(conv.weights.grad, dK, rtol=1e-10, atol=1e-12)


def test_the_fast_path_gives_the_same_numbers_and_training_lowers_the_loss():
    graph, conv, _ = small_cnn()
    X, Y = digits_like(n=12)
    feed = {"X": X, "Y": Y}
    first = graph.forward(feed)
    graph.backward()
    grads = [p.grad.copy() for p in conv.parameters()]
    assert graph.forward(feed) == first  # the second pass runs the proven program
    graph.backward()
    for parameter, grad in zip(conv.parameters(), grads):
        np.testing.assert_array_equal(parameter.grad, grad)
    optimizer = gn.SGD(graph.parameters(), lr=0.1)
    for _ in range(20):
        graph.forward(feed)
        graph.backward()
        optimizer.step()
    assert graph.forward(feed) < first
