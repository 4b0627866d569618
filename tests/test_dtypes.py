"""dtypes end to end (issue 8).

- float32 in, float32 out: outputs, gradients sent back, ``gradient()`` Jacobians, and the
  parameters and their gradients when a layer is built with ``dtype=np.float32``; also through a
  whole graph, objectives included, even when the labels are integers.
- float64 stays float64.
- Integer (and boolean) input is converted once, to float64, where it enters: a layer's
  ``forward`` or a graph's input node. The layers after it get that float array as it is.
"""
import numpy as np
import pytest

from graphnn import (
    AddLayer, ConcatLayer, CrossEntropy, FullyConnectedLayer, Graph, InputLayer, LinearLayer,
    LogisticSigmoidLayer, LogLoss, ReLULayer, SoftmaxLayer, SquaredError, TanhLayer,
)

FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])

_DATA = np.random.default_rng(7).normal(size=(10, 3))

LAYERS = {  # name -> (make(dtype), number of inputs)
    "FullyConnectedLayer": (lambda dtype: FullyConnectedLayer(3, 3, seed=0, dtype=dtype), 1),
    "InputLayer": (lambda dtype: InputLayer(_DATA.astype(dtype)), 1),
    "LinearLayer": (lambda dtype: LinearLayer(), 1),
    "ReLULayer": (lambda dtype: ReLULayer(), 1),
    "LogisticSigmoidLayer": (lambda dtype: LogisticSigmoidLayer(), 1),
    "TanhLayer": (lambda dtype: TanhLayer(), 1),
    "SoftmaxLayer": (lambda dtype: SoftmaxLayer(), 1),
    "AddLayer": (lambda dtype: AddLayer(), 2),
    "ConcatLayer": (lambda dtype: ConcatLayer(), 2),
}
LAYER_NAMES = pytest.mark.parametrize("name", sorted(LAYERS))


def inputs_for(n_inputs, dtype, rng):
    return tuple(rng.normal(size=(5, 3)).astype(dtype) for _ in range(n_inputs))


def as_tuple(result, n_inputs):
    return (result,) if n_inputs == 1 else tuple(result)


@LAYER_NAMES
@FLOATS
def test_layers_keep_the_dtype_of_their_input_everywhere(name, dtype):
    make, n_inputs = LAYERS[name]
    rng = np.random.default_rng(0)
    layer = make(dtype)
    out = layer.forward(*inputs_for(n_inputs, dtype, rng))
    assert out.dtype == dtype
    layer.zero_grad()
    for grad in as_tuple(layer.backward(rng.normal(size=out.shape).astype(dtype)), n_inputs):
        assert grad.dtype == dtype
    jacobians = layer.gradient()
    for jacobian in (jacobians if isinstance(jacobians, tuple) else (jacobians,)):
        assert np.asarray(jacobian).dtype == dtype
    for parameter in layer.parameters():
        assert parameter.value.dtype == dtype and parameter.grad.dtype == dtype
        assert np.abs(parameter.grad).max() > 0  # backward did reach it


@LAYER_NAMES
def test_float32_numbers_are_the_float64_numbers_rounded(name):
    make, n_inputs = LAYERS[name]
    inputs = inputs_for(n_inputs, np.float64, np.random.default_rng(1))
    G = np.random.default_rng(2).normal(size=make(np.float64).forward(*inputs).shape)
    results = {}
    for dtype in (np.float32, np.float64):
        layer = make(dtype)
        if isinstance(layer, FullyConnectedLayer):  # the same weights in both precisions
            reference = make(np.float64)
            layer.setWeights(reference.getWeights())
            layer.setBiases(reference.getBiases())
        out = layer.forward(*(x.astype(dtype) for x in inputs))
        back = as_tuple(layer.backward(G.astype(dtype)), n_inputs)
        results[dtype] = (out, back)
    out32, back32 = results[np.float32]
    out64, back64 = results[np.float64]
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-6)
    for g32, g64 in zip(back32, back64):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


def test_float32_fully_connected_layer_keeps_float32_parameters():
    layer = FullyConnectedLayer(3, 2, seed=0, dtype=np.float32)
    layer.setWeights(np.ones((3, 2)))            # float64 values are stored as float32
    layer.setBiases(np.zeros((1, 2), dtype=int))  # and so are integers
    assert layer.getWeights().dtype == np.float32 and layer.getBiases().dtype == np.float32
    # float64 input gives a float64 output (numpy's promotion), but the parameters and
    # their gradients stay float32.
    out = layer.forward(np.ones((4, 3)))
    assert out.dtype == np.float64
    layer.backward(np.ones((4, 2)))
    assert layer.weights.grad.dtype == np.float32 and layer.biases.grad.dtype == np.float32


OBJECTIVES = {
    "SquaredError": (SquaredError, np.array([[0, 1], [2, 3]]), np.array([[0.5, 0.5], [2.5, 2.0]])),
    "LogLoss": (LogLoss, np.array([[0, 1], [1, 0]]), np.array([[0.2, 0.7], [0.9, 0.4]])),
    "CrossEntropy": (CrossEntropy, np.array([[1, 0], [0, 1]]), np.array([[0.8, 0.2], [0.3, 0.7]])),
}


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
@pytest.mark.parametrize("target_dtype", [np.int64, np.float32, np.float64])
@FLOATS
def test_objective_gradients_take_the_estimates_dtype(name, target_dtype, dtype):
    make, Y, Yhat = OBJECTIVES[name]
    objective = make()
    Y, Yhat = Y.astype(target_dtype), Yhat.astype(dtype)
    G = objective.gradient(Y, Yhat)
    assert G.dtype == dtype
    J = objective.eval(Y, Yhat)
    assert type(J) is float
    reference = make().eval(Y.astype(np.float64), Yhat.astype(np.float64))
    assert J == pytest.approx(reference, rel=1e-6)


def float32_dag(fuse=True):
    """A graph with fan-out, a residual addition, a concatenation and two objectives, both
    fused with their activations unless ``fuse=False``. X requires a gradient, so that every
    gradient is computed."""
    g = Graph(fuse=fuse)
    g.input("X", requires_grad=True)
    g.add(FullyConnectedLayer(4, 3, seed=1, dtype=np.float32), "X", name="fc1")
    g.add(TanhLayer(), "fc1", name="tanh")
    g.add(AddLayer(), "fc1", "tanh", name="residual")
    g.add(ConcatLayer(), "residual", "X", name="concat")
    g.add(FullyConnectedLayer(7, 1, seed=2, dtype=np.float32), "concat", name="fc2")
    g.add(LogisticSigmoidLayer(), "fc2", name="sigmoid")
    g.add(LogLoss(), g.input("Y"), "sigmoid", name="loss")
    g.add(SoftmaxLayer(), "residual", name="softmax")
    g.add(CrossEntropy(), g.input("T"), "softmax", name="aux", weight=0.5)
    return g


def float32_feed(labels_dtype):
    rng = np.random.default_rng(3)
    return {
        "X": rng.normal(size=(6, 4)).astype(np.float32),
        "Y": rng.integers(0, 2, size=(6, 1)).astype(labels_dtype),  # e.g. integer labels
        "T": np.eye(3, dtype=labels_dtype)[rng.integers(0, 3, size=6)],
    }


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize("labels_dtype", [np.int64, np.float64, np.float32])
def test_a_float32_graph_stays_float32_end_to_end(labels_dtype, fuse):
    g = float32_dag(fuse)
    J = g.forward(float32_feed(labels_dtype), check_finite=True)
    g.backward(check_finite=True)
    assert type(J) is float and np.isfinite(J)
    layers = [n for n in g.nodes if g.nx.nodes[n]["kind"] == "layer"]
    for name in layers + ["X"]:
        assert g.value(name).dtype == np.float32, name
        assert g.grad(name).dtype == np.float32, name
    for name in layers + g.objectives:
        sent = g.grad_out(name)
        for grad in (sent if isinstance(sent, tuple) else (sent,)):
            assert grad.dtype == np.float32, name
    for parameter in g.parameters():
        assert parameter.value.dtype == np.float32 and parameter.grad.dtype == np.float32


def test_a_float64_graph_stays_float64_and_agrees_with_float32():
    g32 = float32_dag()
    g64 = float32_dag()
    for p32, p64 in zip(g32.parameters(), g64.parameters()):
        p64.value = p32.value.astype(np.float64)
        p64.grad = np.zeros_like(p64.value)
    feed32 = float32_feed(np.int64)
    feed64 = {name: value.astype(np.float64) for name, value in feed32.items()}
    J32, J64 = g32.forward(feed32), g64.forward(feed64)
    g32.backward()
    g64.backward()
    assert J32 == pytest.approx(J64, rel=1e-5)
    for name in g64.nodes:
        if g64.nx.nodes[name]["kind"] == "layer":
            assert g64.value(name).dtype == np.float64
            np.testing.assert_allclose(g32.grad(name), g64.grad(name), rtol=1e-3, atol=1e-5)
    for p32, p64 in zip(g32.parameters(), g64.parameters()):
        assert p64.grad.dtype == np.float64
        np.testing.assert_allclose(p32.grad, p64.grad, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("raw_dtype", [np.int64, np.int8, np.uint16, np.bool_])
def test_integer_input_is_converted_once_where_it_enters(raw_dtype):
    g = Graph.sequential(FullyConnectedLayer(3, 2, seed=0), LinearLayer(), objective=SquaredError())
    X = (np.arange(12).reshape(4, 3) % 2).astype(raw_dtype)
    g.forward(X=X, Y=np.zeros((4, 2), dtype=int))
    fed = g.value("X")
    assert fed.dtype == np.float64
    np.testing.assert_array_equal(fed, X.astype(np.float64))
    # The first layer got the converted array itself: no second conversion on the way.
    assert g.op("fc1").getPrevIn() is fed
    # and a layer on its own converts integers the same way
    assert LogisticSigmoidLayer().forward(X).dtype == np.float64


def test_float_input_is_copied_once_at_the_input_keeping_its_dtype():
    """A float array the caller holds, and which a backward step reads, is copied (issue 21:
    changing it in place after forward must not change backward's gradients), once: the
    first layer reads that very copy. Data no backward step reads is not copied."""
    g = Graph.sequential(FullyConnectedLayer(3, 3, seed=0, dtype=np.float32), objective=SquaredError())
    X, Y = np.ones((2, 3), dtype=np.float32), np.zeros((2, 3), dtype=np.float32)
    g.forward(X=X, Y=Y)
    assert g.plan.read_by_backward == {"X", "Y"}  # the weights' gradient reads X; the loss Y
    assert g.value("X") is not X and not np.shares_memory(g.value("X"), X)
    assert g.value("X").dtype == np.float32 and np.array_equal(g.value("X"), X)
    assert g.op("fc1").getPrevIn() is g.value("X")
    # A layer without parameters reading constant data has no backward step: no copy.
    g = Graph.sequential(LinearLayer(), FullyConnectedLayer(3, 3, seed=0, dtype=np.float32),
                         objective=SquaredError())
    g.forward(X=X, Y=Y)
    assert g.plan.read_by_backward == {"Y"} and g.value("X") is X


def test_the_private_copy_is_reused_only_when_nobody_else_holds_it():
    g = Graph.sequential(FullyConnectedLayer(3, 1, seed=0), objective=SquaredError())
    X, Y = np.ones((4, 3)), np.zeros((4, 1))
    g.forward(X=X, Y=Y)
    first = id(g.value("X"))
    g.forward(X=X * 2, Y=Y)  # nobody kept the first copy: its memory is written again
    assert id(g.value("X")) == first and np.array_equal(g.value("X"), X * 2)
    kept, record = g.value("X"), g.last_pass
    g.forward(X=X * 3, Y=Y)  # the caller holds the last copy: a new one, the old unchanged
    assert g.value("X") is not kept and np.array_equal(kept, X * 2)
    assert np.array_equal(record.value("X"), X * 2) and np.array_equal(g.value("X"), X * 3)
    g.backward()
    expected = (X * 3).T @ (2 * (g.value("fc1") - Y)) / 4  # dW = X^T G / N, G = 2 (Yhat - Y)
    assert np.allclose(g.op("fc1").weights.grad, expected, rtol=1e-12, atol=0)
    # Another shape: a new copy.
    g.forward(X=np.ones((2, 3)), Y=np.zeros((2, 1)))
    assert g.value("X").shape == (2, 3)


def test_the_private_copy_of_a_value_fed_twice_to_one_layer_is_reused_too():
    g = Graph()
    x, y = g.input("X"), g.input("Y")
    h = g.add(FullyConnectedLayer(2, 2, seed=0), x, name="fc")
    s = g.add(AddLayer(), x, h, name="sum")  # X read by fc and by the sum
    twice = g.add(AddLayer(), s, s, name="twice")
    g.add(SquaredError(), y, twice)
    X, Y = np.ones((3, 2)), np.zeros((3, 2))
    g.forward(X=X, Y=Y)
    first = id(g.value("X"))
    g.forward(X=2 * X, Y=Y)
    assert id(g.value("X")) == first and np.array_equal(g.value("X"), 2 * X)
    g.backward()
    assert np.allclose(g.grad("fc"), 2 * 2 * (g.value("twice") - Y), rtol=1e-12, atol=0)
