"""graphnn: a computation-graph micro-framework for learning and teaching backpropagation.

Every public class is re-exported here: ``from graphnn import SoftmaxLayer`` works.
"""
from .grading.adapter import wrap
from .grading.checks import check_layer, check_objective
from .grading.diagnose import find_nonfinite
from .graph import Graph, GraphError
from .layers import (
    AddLayer, BatchNormLayer, ConcatLayer, DropoutLayer, ElementwiseLayer, FullyConnectedLayer, InputLayer, Layer, LinearLayer, LogisticSigmoidLayer,
    InitialStateLayer, MultiplyLayer, OneMinusLayer, ReLULayer, SliceLayer, SoftmaxLayer, TanhLayer,
    ConvolutionalLayer, FlatteningLayer, MaxPoolLayer,
)
from .objectives import CrossEntropy, LogLoss, Objective, SquaredError
from .training.optim import SGD, Adam
from .parameter import Parameter
from .training.persistence import load_parameters, save_parameters
from .views.profiler import Profile, profile
from .views.summarize import summary
from .views.replay import replay
from .training.fit import History, evaluate, fit, predict
from .recurrent import GRUCell, RNNCell, unroll

__version__ = "0.1.0"

_LAZY = {
    "load_kidcreative": "datasets", "DatasetError": "datasets",  # pandas: slow to import
    "load_csv": "datasets", "split": "datasets",
    "plot_history": "views.plotting", "plot_kernels": "views.plotting",  # matplotlib: optional
}


def __getattr__(name):
    # Modules with heavy or optional dependencies are imported on first use only.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'graphnn' has no attribute {name!r}")

__all__ = [
    "Layer", "ElementwiseLayer", "InputLayer", "FullyConnectedLayer", "LinearLayer",
    "ReLULayer", "LogisticSigmoidLayer", "SoftmaxLayer", "TanhLayer",
    "Objective", "SquaredError", "LogLoss", "CrossEntropy", "AddLayer", "ConcatLayer",
    "MultiplyLayer", "OneMinusLayer", "SliceLayer", "InitialStateLayer", "DropoutLayer", "BatchNormLayer",
    "ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer", "RNNCell", "GRUCell", "unroll",
    "Parameter", "Graph", "GraphError", "SGD", "Adam", "fit", "predict", "evaluate", "History",
    "save_parameters", "load_parameters", "profile", "Profile", "replay", "plot_history", "plot_kernels", "load_kidcreative", "load_csv", "split",
    "DatasetError", "wrap", "check_layer", "check_objective", "find_nonfinite", "summary",
    "__version__",
]
