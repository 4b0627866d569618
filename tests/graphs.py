"""Graphs that several test files build."""
from graphnn import FullyConnectedLayer, Graph, InputLayer, LogisticSigmoidLayer, LogLoss


def kidcreative_chain(X, requires_grad=False, fuse=True):
    """The seed's chain: ``X -> InputLayer -> FC 16->1 (seed 0) -> sigmoid -> LogLoss(Y, .)``,
    nodes named input, fc, sigmoid, loss. ``requires_grad``: whether X gets a gradient (and
    with it every gradient of the seed's Part 3); ``fuse``: the graph's."""
    g = Graph(fuse=fuse)
    x, y = g.input("X", requires_grad=requires_grad), g.input("Y")
    h = g.add(InputLayer(X), x, name="input")
    h = g.add(FullyConnectedLayer(16, 1, seed=0), h, name="fc")
    p = g.add(LogisticSigmoidLayer(), h, name="sigmoid")
    g.add(LogLoss(), y, p, name="loss")
    return g
