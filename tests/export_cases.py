"""Graphs for the export tests (tests/test_export_onnx.py, tests/test_export_torch.py): one per
layer kind, in float32 and float64, and a feed for each.

Every graph reads ``X`` (``N x 3``, and ``Z`` for the two-input layers) and ends in the layer
under test, named ``"out"``; ``InputLayer``'s statistics come from data with a constant column,
so the ``std = 0`` case (output 0) is exported too.
"""
import numpy as np

import graphnn as gn

DTYPES = (np.float32, np.float64)
#: how close an engine's output must be to graphnn's: a few units in the last place of the dtype
TOLERANCE = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}
WIDTH = 3


def statistics_data(dtype):
    """``5 x 3`` data whose last column is constant (standard deviation 0)."""
    data = np.array([[1.0, -2.0, 4.0], [2.0, 0.5, 4.0], [0.0, 3.0, 4.0], [5.0, 1.0, 4.0], [3.0, 2.0, 4.0]])
    return data.astype(dtype)


LAYERS = {  # name -> (make(dtype), extra inputs besides X)
    "InputLayer": (lambda dtype: gn.InputLayer(statistics_data(dtype)), 0),
    "FullyConnectedLayer": (lambda dtype: gn.FullyConnectedLayer(WIDTH, 2, seed=4, dtype=dtype), 0),
    "LinearLayer": (lambda dtype: gn.LinearLayer(), 0),
    "ReLULayer": (lambda dtype: gn.ReLULayer(), 0),
    "LogisticSigmoidLayer": (lambda dtype: gn.LogisticSigmoidLayer(), 0),
    "TanhLayer": (lambda dtype: gn.TanhLayer(), 0),
    "SoftmaxLayer": (lambda dtype: gn.SoftmaxLayer(), 0),
    "AddLayer": (lambda dtype: gn.AddLayer(), 1),
    "AddLayer3": (lambda dtype: gn.AddLayer(3), 2),
    "ConcatLayer": (lambda dtype: gn.ConcatLayer(), 1),
    "MultiplyLayer": (lambda dtype: gn.MultiplyLayer(), 1),
    "OneMinusLayer": (lambda dtype: gn.OneMinusLayer(), 0),
    "SliceLayer": (lambda dtype: gn.SliceLayer(1, 3), 0),
    "InitialStateLayer": (lambda dtype: initial_state(dtype), 0),
    "DropoutLayer": (lambda dtype: gn.DropoutLayer(0.4, seed=0), 0),
    "BatchNormLayer": (lambda dtype: batch_norm(dtype), 0),
}


def initial_state(dtype):
    layer = gn.InitialStateLayer(2, dtype=dtype)
    layer.state.value = np.array([[0.5e-4, -1e-4]], dtype=dtype)  # scaled up by layer_graph
    return layer


def batch_norm(dtype):
    """Running statistics that are not zeros and ones: the exported model (inference) reads them.
    ``eps`` a power of 2: ONNX keeps it as a float32 attribute, exact only for such values."""
    layer = gn.BatchNormLayer(WIDTH, momentum=0.25, eps=2.0 ** -10, dtype=dtype)
    layer.scale.value = np.array([[1.5e-4, -0.5e-4, 2e-4]], dtype=dtype)
    layer.shift.value = np.array([[0.1e-4, -0.2e-4, 0.3e-4]], dtype=dtype)
    layer.running_mean = np.array([[0.2, -1.0, 0.5]], dtype=dtype)
    layer.running_var = np.array([[1.2, 4.0, 9.5]], dtype=dtype)
    return layer


def layer_graph(name, dtype):
    """``X [, Z1, Z2] -> layer "out"``, the layer's weights (if any) scaled up from the seed's
    1e-4 so that the outputs are not all near zero."""
    make, extra = LAYERS[name]
    g = gn.Graph()
    sources = [g.input("X")] + [g.input(f"Z{k}") for k in range(1, extra + 1)]
    layer = make(dtype)
    for parameter in layer.parameters():
        parameter.value *= 1e4
    g.add(layer, *sources, name="out")
    return g.eval()  # dropout and batch norm: an exported model predicts, at inference


def feed_for(graph, dtype, n=6, seed=0):
    """Random ``n x 3`` values for every input of ``graph`` except ``Y``, in ``dtype``."""
    rng = np.random.default_rng(seed)
    return {name: (3 * rng.normal(size=(n, WIDTH))).astype(dtype) for name in graph.inputs if name != "Y"}


def mixed_graph(dtype, objective):
    """Every kind of layer in one DAG: z-scoring, two fully connected branches, Tanh, ReLU, Add,
    Concat, Identity, then a fully connected head and ``objective``'s activation (sigmoid for
    ``LogLoss``, softmax for ``CrossEntropy``, none for ``SquaredError``) read by the objective
    ``"loss"`` with target ``Y`` (``N x 2``)."""
    g = gn.Graph()
    x, y = g.input("X"), g.input("Y")
    h = g.add(gn.InputLayer(statistics_data(dtype)), x, name="input")
    a = g.add(gn.TanhLayer(), g.add(gn.FullyConnectedLayer(WIDTH, 4, seed=1, dtype=dtype), h, name="fc_a"))
    b = g.add(gn.ReLULayer(), g.add(gn.FullyConnectedLayer(WIDTH, 4, seed=2, dtype=dtype), h, name="fc_b"))
    c = g.add(gn.LinearLayer(), g.add(gn.ConcatLayer(), g.add(gn.AddLayer(), a, b), a))
    p = g.add(gn.FullyConnectedLayer(8, 2, seed=3, dtype=dtype), c, name="head")
    for parameter in g.parameters():
        parameter.value *= 3e3
    activation = {gn.LogLoss: gn.LogisticSigmoidLayer, gn.CrossEntropy: gn.SoftmaxLayer}.get(type(objective))
    if activation is not None:
        p = g.add(activation(), p, name="estimate")
    g.add(objective, y, p, name="loss")
    return g


def targets_for(objective, n, dtype, seed=1):
    """``n x 2`` targets ``objective`` accepts: 0/1 for LogLoss, one-hot rows for CrossEntropy."""
    rng = np.random.default_rng(seed)
    if isinstance(objective, gn.CrossEntropy):
        return np.eye(2, dtype=dtype)[rng.integers(0, 2, n)]
    if isinstance(objective, gn.LogLoss):
        return rng.integers(0, 2, (n, 2)).astype(dtype)
    return rng.normal(size=(n, 2)).astype(dtype)


OBJECTIVES = {"SquaredError": gn.SquaredError, "LogLoss": gn.LogLoss, "CrossEntropy": gn.CrossEntropy}


def forward_value(graph, feed, name):
    """Node ``name``'s output after ``graph.forward(feed)``."""
    graph.forward(feed)
    return graph.value(name)


def objective_case(objective, dtype, n):
    """``mixed_graph`` ending in a new ``OBJECTIVES[objective]``, and a feed of ``n`` rows."""
    g = mixed_graph(dtype, OBJECTIVES[objective]())
    feed = feed_for(g, dtype, n=n)
    feed["Y"] = targets_for(g.op("loss"), n, dtype)
    return g, feed
