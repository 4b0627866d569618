"""The hyperbolic tangent."""
import numpy as np

from .ElementwiseLayer import ElementwiseLayer
from .Layer import checked_backward


class TanhLayer(ElementwiseLayer):
    """``y = tanh(x)``. Input ``N x D`` (or any shape ``N x ...``), output
    shaped alike, in ``[-1, 1]``.

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

    @checked_backward
    def backward(self, gradIn):
        """``gradIn * (1 - y^2)``: ``N x D`` in and out."""
        if type(self).derivative is not TanhLayer.derivative:  # a subclass's own f'
            return gradIn * self.derivative()
        out = self._prevOut
        grad = out * out  # then, in place: gradIn * (1 - out^2), one array instead of three
        np.subtract(1.0, grad, out=grad)
        grad *= gradIn
        return grad
