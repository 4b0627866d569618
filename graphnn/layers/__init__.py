"""Layers: one class per file, named after the class (as the seed asks)."""
from .AddLayer import AddLayer
from .ConcatLayer import ConcatLayer
from .ElementwiseLayer import ElementwiseLayer
from .FullyConnectedLayer import FullyConnectedLayer
from .InputLayer import InputLayer
from .Layer import Layer
from .LinearLayer import LinearLayer
from .LogisticSigmoidLayer import LogisticSigmoidLayer
from .ReLULayer import ReLULayer
from .SoftmaxLayer import SoftmaxLayer
from .TanhLayer import TanhLayer

__all__ = [
    "Layer", "ElementwiseLayer", "InputLayer", "FullyConnectedLayer", "LinearLayer",
    "ReLULayer", "LogisticSigmoidLayer", "SoftmaxLayer", "TanhLayer", "AddLayer", "ConcatLayer",
]
