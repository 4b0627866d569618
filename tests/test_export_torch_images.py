"""graphnn.export's PyTorch half for convolutional networks (issue 26): ``to_torch`` writes
``ConvolutionalLayer``, ``MaxPoolLayer`` and ``FlatteningLayer`` as ``nn.Conv2d``,
``nn.MaxPool2d`` and ``nn.Flatten`` with the same weights, whose autograd gradients are
graphnn's; ``from_torch`` reads them back, and a Sequential CNN; what graphnn cannot represent.

Conventions as in tests/test_export_torch.py: parameter gradients are those of the mean ``J``
on both sides (``nn.Conv2d`` keeps the kernels as graphnn does, ``O x C x kh x kw``).
Tolerances: ``export_cases.TOLERANCE`` for values, ``rtol 1e-10`` for float64 gradients.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import graphnn as gn
from export_cases import (
    DTYPES, IMAGE, IMAGE_LAYERS, TOLERANCE, cnn_feed, cnn_graph, forward_value, image_layer_graph, images_for,
)
from graphnn.export import ExportError, from_torch, to_torch

FLOATS = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
GRADIENT_TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-13), np.float32: dict(rtol=1e-4, atol=1e-6)}


@FLOATS
@pytest.mark.parametrize("name", IMAGE_LAYERS)
def test_every_image_layer_computes_graphnns_forward_in_torch(name, dtype):
    g = image_layer_graph(name, dtype)
    module = to_torch(g)
    for n in (1, 6):
        X = images_for(dtype, n)
        got = module(torch.tensor(X))
        assert got.dtype == {np.float32: torch.float32, np.float64: torch.float64}[dtype]
        np.testing.assert_allclose(got.detach().numpy(), forward_value(g, {"X": X}, "out"), **TOLERANCE[dtype])


def test_the_modules_written():
    g = cnn_graph(np.float64)
    module = to_torch(g)
    conv, pool = module.layer("conv1"), module.layer("pool")
    assert isinstance(conv, torch.nn.Conv2d) and isinstance(pool, torch.nn.MaxPool2d)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding) == (2, 4, (3, 3), (1, 1), (1, 1))
    assert (pool.kernel_size, pool.stride, pool.padding, pool.ceil_mode) == ((2, 2), (2, 2), 0, False)
    assert isinstance(module.layer("flat"), torch.nn.Flatten)
    np.testing.assert_array_equal(conv.weight.detach().numpy(), g.op("conv1").weights.value)
    np.testing.assert_array_equal(conv.bias.detach().numpy(), g.op("conv1").biases.value)
    conv.weight.data += 1  # copies: training the module leaves the graph alone
    assert not np.array_equal(conv.weight.detach().numpy(), g.op("conv1").weights.value)


@FLOATS
def test_autograd_gradients_of_the_cnns_objective_equal_graphnns_backward(dtype):
    g, feed = cnn_graph(dtype), cnn_feed(dtype, n=7)
    module = to_torch(g)
    J = g.forward(**feed)
    g.backward()
    J_torch = module.objective(**{name: torch.tensor(value) for name, value in feed.items()})
    J_torch.backward()
    np.testing.assert_allclose(J_torch.item(), J, **TOLERANCE[dtype])
    for node in ("conv1", "conv2"):
        layer, torch_layer = g.op(node), module.layer(node)
        np.testing.assert_allclose(torch_layer.weight.grad.numpy(), layer.weights.grad, **GRADIENT_TOLERANCE[dtype])
        np.testing.assert_allclose(torch_layer.bias.grad.numpy(), layer.biases.grad, **GRADIENT_TOLERANCE[dtype])


def test_a_tie_in_a_pooling_window_sends_the_gradient_to_the_same_entry_in_both():
    g = gn.Graph()
    g.add(gn.MaxPoolLayer(2), g.input("X"), name="pool")
    X = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0]]]])  # two windows, each with a tie
    X_torch = torch.tensor(X, requires_grad=True)
    to_torch(g)(X_torch).sum().backward()
    g.forward(X=X)
    np.testing.assert_array_equal(g.op("pool").backward(np.ones((1, 1, 1, 2))), X_torch.grad.numpy())


@FLOATS
def test_the_cnn_comes_back_from_torch_as_the_graph_it_was(dtype):
    g, feed = cnn_graph(dtype), cnn_feed(dtype)
    module = to_torch(g)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    for _ in range(3):  # trained in torch
        optimizer.zero_grad()
        module.objective(**{name: torch.tensor(value) for name, value in feed.items()}).backward()
        optimizer.step()
    back = from_torch(module)
    assert back.nodes == g.nodes
    assert [back.op(n).describe() for n in back.nodes[1:] if back.op(n)] == \
        [g.op(n).describe() for n in g.nodes[1:] if g.op(n)]
    assert back.op("conv1").weights.value.dtype == dtype
    np.testing.assert_array_equal(back.op("conv2").weights.value, module.layer("conv2").weight.detach().numpy())
    J = back.forward(**feed)
    back.backward()
    module.zero_grad()
    J_torch = module.objective(**{name: torch.tensor(value) for name, value in feed.items()})
    J_torch.backward()
    np.testing.assert_allclose(J, J_torch.item(), **TOLERANCE[dtype])
    np.testing.assert_allclose(back.op("conv1").weights.grad, module.layer("conv1").weight.grad.numpy(),
                               **GRADIENT_TOLERANCE[dtype])


def test_the_round_trip_through_torch_keeps_every_value_and_gradient_exactly():
    g, feed = cnn_graph(np.float64), cnn_feed(np.float64)
    back = from_torch(to_torch(g))
    assert g.forward(**feed) == back.forward(**feed)
    g.backward()
    back.backward()
    for (node, p), (node_back, p_back) in zip(g.named_parameters(), back.named_parameters()):
        assert node == node_back
        np.testing.assert_array_equal(p_back.grad, p.grad)
    assert back.op("input").meanX.shape == (1, 2, 1, 1)
    assert back.to_dot(view="gradients").source == g.to_dot(view="gradients").source


def test_the_module_names_an_image_input_of_another_shape():
    module = to_torch(cnn_graph(np.float64))
    with pytest.raises(ValueError, match=r"input 'X' is 3 x 2 x 5 x 5; the module reads it N x 2 x 7 x 6, one image per observation"):
        module(torch.zeros(3, 2, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"input 'X' is 3 x 84; the module reads it N x 2 x 7 x 6"):
        module(torch.zeros(3, 84, dtype=torch.float64))


# ---------------------------------------------------------------------------- from_torch of a Sequential
def sequential_cnn(dtype=torch.float64, **conv):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, **{"padding": 1, **conv}), torch.nn.ReLU(), torch.nn.MaxPool2d(2, stride=1),
        torch.nn.Conv2d(3, 2, (2, 3), stride=(2, 1)), torch.nn.Sigmoid(), torch.nn.Flatten(),
        torch.nn.Linear(2 * 3 * 3, 4), torch.nn.Tanh(), torch.nn.Flatten(),  # of N x D: changes nothing
    ).to(dtype)


@FLOATS
def test_a_sequential_cnn_comes_in_with_torchs_values_and_gradients(dtype):
    torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    net = sequential_cnn(torch_dtype)
    g = from_torch(net)
    assert [type(g.op(n)).__name__ for n in g.nodes[1:]] == [
        "ConvolutionalLayer", "ReLULayer", "MaxPoolLayer", "ConvolutionalLayer", "LogisticSigmoidLayer",
        "FlatteningLayer", "FullyConnectedLayer", "TanhLayer", "LinearLayer"]
    first, pool, second = g.nodes[1], g.nodes[3], g.nodes[4]
    assert g.op(second).stride == (2, 1) and g.op(pool).stride == (1, 1)
    X = images_for(dtype, 5, shape=(2, 8, 6))
    X_torch = torch.tensor(X, requires_grad=True)
    out = net(X_torch)
    last = g.nodes[-1]
    np.testing.assert_allclose(forward_value(g, {"X": X}, last), out.detach().numpy(), **TOLERANCE[dtype])
    Y = np.random.default_rng(2).normal(size=(5, 4)).astype(dtype)
    g.add(gn.SquaredError(), g.input("Y"), last, name="loss")
    g.forward(X=X, Y=Y)
    g.backward()
    ((torch.tensor(Y) - out) ** 2).sum(dim=1).mean().backward()
    np.testing.assert_allclose(g.op(first).weights.grad, net[0].weight.grad.numpy(), **GRADIENT_TOLERANCE[dtype])
    np.testing.assert_allclose(g.op(second).biases.grad, net[3].bias.grad.numpy(), **GRADIENT_TOLERANCE[dtype])


@pytest.mark.parametrize("padding, kernel, means", [("valid", 3, (0, 0)), ("same", 3, (1, 1)), ("same", (5, 3), (2, 1))])
def test_string_padding_is_mapped_exactly(padding, kernel, means):
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, kernel, padding=padding)).double()
    g = from_torch(net)
    assert g.op(g.nodes[1]).padding == means
    X = images_for(np.float64, 2, shape=(2, 6, 6))
    np.testing.assert_allclose(forward_value(g, {"X": X}, g.nodes[1]), net(torch.tensor(X)).detach().numpy(),
                               **TOLERANCE[np.float64])


def test_a_conv2d_without_bias_comes_in_with_zero_biases_and_a_conv_run_twice_shares_its_kernels():
    conv = torch.nn.Conv2d(2, 2, 3, padding=1, bias=False).double()
    g = from_torch(torch.nn.Sequential(conv, torch.nn.Tanh(), conv))
    first, second = g.op(g.nodes[1]), g.op(g.nodes[3])
    assert first.weights is second.weights and first.biases is second.biases
    np.testing.assert_array_equal(first.biases.value, np.zeros(2))


@pytest.mark.parametrize("child, says", [
    (torch.nn.Conv2d(2, 4, 3, groups=2), r"\(Conv2d\): groups=2, a grouped convolution; graphnn's ConvolutionalLayer"),
    (torch.nn.Conv2d(2, 4, 3, dilation=2), r"\(Conv2d\): dilation=\(2, 2\), a dilated kernel"),
    (torch.nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect"), r"\(Conv2d\): padding_mode='reflect'; graphnn's "
                                                                    r"ConvolutionalLayer pads with zeros only"),
    (torch.nn.Conv2d(2, 4, 2, padding="same"), r"\(Conv2d\): padding='same' with the even kernel \(2, 2\), which torch "
                                                r"pads one more on one side"),
    (torch.nn.MaxPool2d(2, ceil_mode=True), r"\(MaxPool2d\): ceil_mode=True, windows that run past the image's edge"),
    (torch.nn.MaxPool2d(2, return_indices=True), r"\(MaxPool2d\): return_indices=True; graphnn's MaxPoolLayer gives the "
                                                  r"maxima only"),
    (torch.nn.MaxPool2d(3, padding=1), r"\(MaxPool2d\): padding=1, a padded pooling"),
    (torch.nn.MaxPool2d(2, dilation=2), r"\(MaxPool2d\): dilation=2, a dilated window"),
    (torch.nn.Flatten(start_dim=2), r"\(Flatten\): start_dim=2, end_dim=-1; graphnn flattens each observation whole"),
    (torch.nn.AvgPool2d(2), r"\(AvgPool2d\): graphnn maps Linear, .*Conv2d, MaxPool2d and Flatten only"),
])
def test_image_modules_graphnn_cannot_represent_are_refused_by_place(child, says):
    with pytest.raises(ExportError, match=rf"^layer '1' of the Sequential {says}"):
        from_torch(torch.nn.Sequential(torch.nn.Identity(), child))


@settings(max_examples=20, deadline=None)
@given(
    channels=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
    pool=st.integers(1, 2),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_random_convolutions_agree_with_torch_both_ways(channels, kernel, stride, padding, pool, n, seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Conv2d(*channels, kernel, stride=stride, padding=padding), torch.nn.Tanh(),
                              torch.nn.MaxPool2d(pool), torch.nn.Flatten()).double()
    g = from_torch(net)
    X = images_for(np.float64, n, seed, shape=(channels[0], 6, 5))
    X_torch = torch.tensor(X, requires_grad=True)
    out = net(X_torch)
    np.testing.assert_allclose(forward_value(g, {"X": X}, g.nodes[-1]), out.detach().numpy(), **TOLERANCE[np.float64])
    G = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(torch.tensor(G))
    # graphnn's gradients on the edges are per observation: N times autograd's dJ/dvalue of the sum
    dX = G
    for name in reversed(g.nodes[1:]):
        dX = g.op(name).backward(dX)
    np.testing.assert_allclose(dX, X_torch.grad.numpy(), rtol=1e-10, atol=1e-13)
    back = to_torch(g)
    np.testing.assert_allclose(back(torch.tensor(X)).detach().numpy(), out.detach().numpy(), **TOLERANCE[np.float64])
