"""Layers: differentiable functions of ``N x D`` arrays (or of any rank with the batch first,
``N x C x H x W`` for images: see ``Layer.input_ndim``), one class per file, named after the
class (as the seed asks).

Every layer keeps the course interface described on ``Layer`` (``forward``, ``gradient``,
``backward``); the activations that act entry by entry share ``ElementwiseLayer``. A layer
with weights holds them as ``Parameter`` objects, which collect their gradients.
"""
from .AddLayer import AddLayer
from .BatchNormLayer import BatchNormLayer
from .ConcatLayer import ConcatLayer
from .ConvolutionalLayer import ConvolutionalLayer
from .DropoutLayer import DropoutLayer
from .ElementwiseLayer import ElementwiseLayer
from .FlatteningLayer import FlatteningLayer
from .FullyConnectedLayer import FullyConnectedLayer
from .InitialStateLayer import InitialStateLayer
from .InputLayer import InputLayer
from .Layer import Layer
from .LinearLayer import LinearLayer
from .LogisticSigmoidLayer import LogisticSigmoidLayer
from .MaxPoolLayer import MaxPoolLayer
from .MultiplyLayer import MultiplyLayer
from .OneMinusLayer import OneMinusLayer
from .ReLULayer import ReLULayer
from .SliceLayer import SliceLayer
from .SoftmaxLayer import SoftmaxLayer
from .TanhLayer import TanhLayer

__all__ = [
    "Layer", "ElementwiseLayer", "InputLayer", "FullyConnectedLayer", "LinearLayer",
    "ReLULayer", "LogisticSigmoidLayer", "SoftmaxLayer", "TanhLayer", "AddLayer", "ConcatLayer",
    "MultiplyLayer", "OneMinusLayer", "SliceLayer", "InitialStateLayer",
    "DropoutLayer", "BatchNormLayer", "ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer",
]
