"""The logistic sigmoid."""
import numpy as np

from .ElementwiseLayer import ElementwiseLayer


class LogisticSigmoidLayer(ElementwiseLayer):
    """``y = 1 / (1 + exp(-x))``. Input ``N x D``, output ``N x D`` in ``[0, 1]``.

    Computed as ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``, with
    ``e = exp(-|x|) <= 1``, so no ``exp`` overflows: inputs of any size give finite outputs
    without warnings. The derivative is ``y (1 - y)``.

    >>> LogisticSigmoidLayer().forward(np.array([[0.0]]))
    array([[0.5]])
    """

    short_name = "sigmoid"  # node names in a Graph: sigmoid1, sigmoid2, ...

    def _activate(self, X):
        e = np.exp(-np.abs(X))
        return np.where(X >= 0, 1.0, e) / (1.0 + e)

    def derivative(self):
        out = self._prevOut
        return out * (1.0 - out)
