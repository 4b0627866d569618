"""The hyperbolic tangent."""
import numpy as np

from .._validation import ieee_arithmetic
from .ElementwiseLayer import ElementwiseLayer


class TanhLayer(ElementwiseLayer):
    """``y = tanh(x)``. Input ``N x D``, output ``N x D`` in ``[-1, 1]``.

    ``np.tanh`` saturates without overflow, so large inputs are safe. The derivative is
    ``1 - y^2`` (the seed's ``4 e^x e^-x / (e^x + e^-x)^2``).

    >>> TanhLayer().forward(np.array([[0.0]]))
    array([[0.]])
    """

    def _activate(self, X):
        return np.tanh(X)

    def derivative(self):
        """``1 - y^2`` at the last output ``y``: ``N x D``."""
        out = self._prevOut
        return 1.0 - out * out

    def backward(self, gradIn):
        """``gradIn * (1 - y^2)``: ``N x D`` in and out."""
        gradIn = self._checked_gradIn(gradIn)
        with ieee_arithmetic():  # inf * 0 is NaN, quietly (docs/reliability.md)
            return self._backward(gradIn)

    def _backward(self, gradIn):
        out = self._prevOut
        grad = out * out  # then, in place: gradIn * (1 - out^2), one array instead of three
        np.subtract(1.0, grad, out=grad)
        grad *= gradIn
        return grad
