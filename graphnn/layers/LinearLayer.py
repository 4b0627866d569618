"""The identity activation."""
import numpy as np

from .ElementwiseLayer import ElementwiseLayer


class LinearLayer(ElementwiseLayer):
    """``y = x``. Input ``N x D``, output ``N x D``; each Jacobian is the identity.

    >>> LinearLayer().forward(np.array([[1.0, -2.0]]))
    array([[ 1., -2.]])
    """

    def _activate(self, X):
        return X

    def derivative(self):
        """Ones, ``N x D``, shaped like the last input."""
        return np.ones_like(self._prevIn)

    def backward(self, gradIn):
        """``gradIn`` itself (checked, not copied): ``N x D`` in and out."""
        return self._checked_gradIn(gradIn)  # times one, without the multiplication

    def _backward(self, gradIn):
        return gradIn
