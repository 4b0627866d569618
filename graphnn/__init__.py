"""graphnn: a computation-graph micro-framework for learning and teaching backpropagation.

Every public class is re-exported here: ``from graphnn import SoftmaxLayer`` works.
"""
from .graph import Graph, GraphError
from .layers import (
    AddLayer, ConcatLayer, ElementwiseLayer, FullyConnectedLayer, InputLayer, Layer, LinearLayer, LogisticSigmoidLayer,
    ReLULayer, SoftmaxLayer, TanhLayer,
)
from .objectives import CrossEntropy, LogLoss, Objective, SquaredError
from .parameter import Parameter

__version__ = "0.1.0"

_LAZY = {"load_kidcreative": "datasets", "DatasetError": "datasets"}


def __getattr__(name):
    # The data loader needs pandas, which is slow to import: load it on first use only.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'graphnn' has no attribute {name!r}")

__all__ = [
    "Layer", "ElementwiseLayer", "InputLayer", "FullyConnectedLayer", "LinearLayer",
    "ReLULayer", "LogisticSigmoidLayer", "SoftmaxLayer", "TanhLayer",
    "Objective", "SquaredError", "LogLoss", "CrossEntropy", "AddLayer", "ConcatLayer",
    "Parameter", "Graph", "GraphError", "load_kidcreative", "DatasetError", "__version__",
]
