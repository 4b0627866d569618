"""The right answers a class is compared with: graphnn's own class of the same name, and the
seed assignment's worked numbers (Part 1).

A student's class is matched by its name, as the seed names the files (``SoftmaxLayer.py``
holds ``SoftmaxLayer``); ``check_layer(..., reference=gn.TanhLayer)`` names it explicitly and
``reference=None`` turns the comparison off.
"""
import numpy as np

from .. import layers
from ..layers import (FullyConnectedLayer, InputLayer, LinearLayer, LogisticSigmoidLayer, ReLULayer,
                      SoftmaxLayer, TanhLayer)
from ..objectives import CrossEntropy, LogLoss, SquaredError

__all__ = ["REFERENCE_LAYERS", "REFERENCE_OBJECTIVES", "SEED_H", "SEED_JACOBIANS", "SEED_FC",
           "SEED_OBJECTIVES", "reference_for", "seed_agrees", "SEED_TOLERANCE"]

#: graphnn's layer for each class name of the seed, and of the course's image layers
#: (``ConvolutionalLayer``, ``MaxPoolLayer``, ``FlatteningLayer``) where graphnn has them
REFERENCE_LAYERS = {cls.__name__: cls for cls in (
    InputLayer, FullyConnectedLayer, LinearLayer, ReLULayer, LogisticSigmoidLayer, TanhLayer, SoftmaxLayer)}
REFERENCE_LAYERS.update({name: getattr(layers, name) for name in ("ConvolutionalLayer", "MaxPoolLayer",
                                                                  "FlatteningLayer") if hasattr(layers, name)})
#: graphnn's objective for each class name of the seed
REFERENCE_OBJECTIVES = {cls.__name__: cls for cls in (SquaredError, LogLoss, CrossEntropy)}

#: Part 1's input ``H`` (questions 1 and 2)
SEED_H = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

_SOFTMAX_J = [[0.0819, -0.0220, -0.0599], [-0.0220, 0.1848, -0.1628], [-0.0599, -0.1628, 0.2227]]

#: Part 1, question 1: each activation's Jacobians at ``SEED_H`` (``2 x 3 x 3``), as printed
SEED_JACOBIANS = {
    "ReLULayer": np.array([np.eye(3), np.eye(3)]),
    "LinearLayer": np.array([np.eye(3), np.eye(3)]),
    "SoftmaxLayer": np.array([_SOFTMAX_J, _SOFTMAX_J]),
    "LogisticSigmoidLayer": np.array([np.diag([0.19661193, 0.10499359, 0.04517666]),
                                      np.diag([0.01766271, 0.00664806, 0.00246651])]),
    "TanhLayer": np.array([np.diag([0.419974342, 0.070650824, 0.009866037]),
                           np.diag([0.001340950, 0.000181583, 0.000024576])]),
}

#: Part 1, question 2: ``(W, b, gradient)``, the fully connected layer's weights (``3 x 2``),
#: biases and the answer ``W^T``
SEED_FC = (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([[-1.0, 2.0]]),
           np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]))

_Y1, _YHAT1 = np.array([[0.0], [1.0]]), np.array([[0.2], [0.3]])
_Y3, _YHAT3 = np.array([[1.0, 0, 0], [0, 1.0, 0]]), np.array([[0.2, 0.2, 0.6], [0.2, 0.7, 0.1]])

#: Part 1, questions 3 to 6: ``{objective: (question, Y, Yhat, J, dJ/dYhat, digits printed)}``
SEED_OBJECTIVES = {
    "SquaredError": ("Q3a/Q5a", _Y1, _YHAT1, 0.265, np.array([[0.4], [-1.4]])),
    "LogLoss": ("Q3b/Q5b", _Y1, _YHAT1, 0.71356, np.array([[1.25], [-3.3333]])),
    "CrossEntropy": ("Q4/Q6", _Y3, _YHAT3, 0.983056, np.array([[-5.0, 0, 0], [0, -1.42857143, 0]])),
}

#: the seed prints its answers to 4 decimals at least: an answer within this (absolute,
#: or relative for values above 1) of the printed one agrees with it
SEED_TOLERANCE = 1e-4


def reference_for(name, reference="auto", objective=False):
    """The graphnn class a class called ``name`` is compared with: ``reference`` itself when
    it is given (a class or a factory), ``None`` when it is ``None``, else (``'auto'``) the
    entry of ``REFERENCE_OBJECTIVES`` (``objective=True``) or ``REFERENCE_LAYERS`` under
    ``name`` (``None`` when there is none)."""
    if reference is None:
        return None
    if reference != "auto":
        return reference
    return (REFERENCE_OBJECTIVES if objective else REFERENCE_LAYERS).get(name)


def seed_agrees(value, printed):
    """True when ``value`` (a float or array) agrees with the seed's ``printed`` answer to its
    printed precision (``SEED_TOLERANCE``, relative above 1)."""
    value, printed = np.asarray(value, dtype=float), np.asarray(printed, dtype=float)
    return value.shape == printed.shape and bool(
        np.all(np.abs(value - printed) <= SEED_TOLERANCE * np.maximum(1.0, np.abs(printed))))
