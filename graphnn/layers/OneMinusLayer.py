"""``1 - x``: the complement of a gate."""
import numpy as np

from .ElementwiseLayer import ElementwiseLayer
from .Layer import checked_backward


class OneMinusLayer(ElementwiseLayer):
    """``y = 1 - x``. Input ``N x D`` (or any shape ``N x ...``), output
    shaped alike; each Jacobian is ``-I``.

    A GRU keeps ``z * h_{t-1}`` of its old state and takes ``(1 - z) * n_t`` of the new
    candidate: this layer makes ``1 - z`` from the update gate ``z``.

    >>> OneMinusLayer().forward(np.array([[0.25, 1.0]]))
    array([[0.75, 0.  ]])
    """

    short_name = "oneminus"

    def _activate(self, X):
        return 1.0 - X

    def derivative(self):
        """Minus ones, ``N x D``, shaped like the last input."""
        return np.full_like(self._prevIn, -1.0)

    @checked_backward
    def backward(self, gradIn):
        """``-gradIn``: ``N x D`` in and out."""
        if type(self).derivative is not OneMinusLayer.derivative:  # a subclass's own f'
            return gradIn * self.derivative()
        return -gradIn
