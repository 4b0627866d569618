"""The rectified linear unit."""
import numpy as np

from .ElementwiseLayer import ElementwiseLayer
from .Layer import checked_backward


class ReLULayer(ElementwiseLayer):
    """``y = max(0, x)``. Input ``N x D`` (or any shape ``N x ...``), output shaped alike.

    The derivative is 1 where ``x > 0`` and 0 elsewhere, including at the kink ``x = 0``.

    >>> ReLULayer().forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    def _activate(self, X):
        return np.maximum(X, 0)

    def derivative(self):
        """1 where the last input was ``> 0``, else 0: ``N x D``, the input's dtype."""
        return (self._prevIn > 0).astype(self._prevIn.dtype)

    @checked_backward
    def backward(self, gradIn):
        """``gradIn`` where the last input was ``> 0``, 0 elsewhere: ``N x D`` in and out."""
        if type(self).derivative is not ReLULayer.derivative:  # a subclass's own f'
            return gradIn * self.derivative()
        # A product with the 0/1 mask: three times faster than np.where, whose data-dependent
        # branches mispredict on random signs. inf * 0 is NaN, quietly (docs/reliability.md).
        return gradIn * (self._prevIn > 0)
