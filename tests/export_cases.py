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


# ---------------------------------------------------------------------------- images
#: the image every image case reads: ``N x IMAGE[0] x IMAGE[1] x IMAGE[2]``
IMAGE = (2, 7, 6)

IMAGE_LAYERS = {  # name -> make(dtype): one layer reading N x 2 x 7 x 6 images
    "Conv": lambda dtype: gn.ConvolutionalLayer(2, 3, 3, seed=1, dtype=dtype),
    "ConvStridePadding": lambda dtype: gn.ConvolutionalLayer(2, 4, (3, 2), stride=(2, 1), padding=(1, 2), seed=2,
                                                             dtype=dtype),
    "Conv1x1": lambda dtype: gn.ConvolutionalLayer(2, 1, 1, seed=3, dtype=dtype),
    "MaxPool": lambda dtype: gn.MaxPoolLayer(2),
    "MaxPoolOverlapping": lambda dtype: gn.MaxPoolLayer((3, 2), stride=1),
    "Flattening": lambda dtype: gn.FlatteningLayer(),
    "ReLU": lambda dtype: gn.ReLULayer(),
    "Tanh": lambda dtype: gn.TanhLayer(),
    "Sigmoid": lambda dtype: gn.LogisticSigmoidLayer(),
    "InputLayer": lambda dtype: gn.InputLayer(image_statistics_data(dtype)),
}


def image_statistics_data(dtype, n=4, seed=5):
    """``n`` images whose second channel is constant (standard deviation 0: z-scored to 0)."""
    data = np.random.default_rng(seed).normal(size=(n,) + IMAGE) * 3 + 1
    data[:, 1] = 2.5
    return data.astype(dtype)


def image_layer_graph(name, dtype):
    """``X -> layer "out"`` for ``IMAGE_LAYERS[name]``."""
    g = gn.Graph()
    g.add(IMAGE_LAYERS[name](dtype), g.input("X"), name="out")
    return g


def images_for(dtype, n=5, seed=0, shape=IMAGE):
    """``n`` random images ``n x C x H x W`` in ``dtype``."""
    return (2 * np.random.default_rng(seed).normal(size=(n,) + tuple(shape))).astype(dtype)


def cnn_graph(dtype, objective=True):
    """The course's network: z-scoring of images, Conv -> ReLU -> MaxPool -> Conv -> Tanh ->
    Flatten -> FC -> Softmax, read by a ``CrossEntropy`` ``"loss"`` with target ``Y``
    (``N x 3``) when ``objective``."""
    g = gn.Graph()
    h = g.add(gn.InputLayer(image_statistics_data(dtype)), g.input("X"), name="input")
    h = g.add(gn.ConvolutionalLayer(2, 4, 3, padding=1, seed=1, dtype=dtype), h, name="conv1")
    h = g.add(gn.ReLULayer(), h, name="relu")
    h = g.add(gn.MaxPoolLayer(2), h, name="pool")  # 4 x 3 x 3
    h = g.add(gn.ConvolutionalLayer(4, 3, 2, stride=1, seed=2, dtype=dtype), h, name="conv2")  # 3 x 2 x 2
    h = g.add(gn.TanhLayer(), h, name="tanh")
    h = g.add(gn.FlatteningLayer(), h, name="flat")
    h = g.add(gn.FullyConnectedLayer(12, 3, seed=3, dtype=dtype), h, name="fc")
    g.op("fc").weights.value *= 3e3  # from the seed's 1e-4 to outputs that are not all near 1/3
    p = g.add(gn.SoftmaxLayer(), h, name="p")
    if objective:
        g.add(gn.CrossEntropy(), g.input("Y"), p, name="loss")
    return g


def cnn_feed(dtype, n=6, seed=0):
    """Images and one-hot targets for ``cnn_graph``."""
    rng = np.random.default_rng(seed + 1)
    return {"X": images_for(dtype, n, seed), "Y": np.eye(3, dtype=dtype)[rng.integers(0, 3, n)]}
