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

__all__ = [
    "Layer", "ElementwiseLayer", "InputLayer", "FullyConnectedLayer", "LinearLayer",
    "ReLULayer", "LogisticSigmoidLayer", "SoftmaxLayer", "TanhLayer",
    "Objective", "SquaredError", "LogLoss", "CrossEntropy", "AddLayer", "ConcatLayer",
    "Parameter", "Graph", "GraphError", "__version__",
]
