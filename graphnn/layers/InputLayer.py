"""Z-scoring of the features, with statistics fixed when the layer is built."""
import numpy as np

from .._validation import as_matrix, require_finite, require_width
from .ElementwiseLayer import ElementwiseLayer


class InputLayer(ElementwiseLayer):
    """``y = (x - mean) / std``, column by column, with the mean and the *sample* standard
    deviation (``ddof=1``) of ``dataIn``, the data the layer is built with.

    Input ``N x D`` (``D`` as in ``dataIn``), output ``N x D``. A column whose standard
    deviation is 0 (constant, or a single observation) maps to 0 rather than NaN. NaN or inf
    in ``dataIn`` or in a later input, or an input of another width, is refused with a
    ``ValueError``.

    The layer is affine, so its Jacobian is ``diag(1 / std)`` (0 for constant columns) and
    ``backward`` scales the gradient by ``1 / std``.

    >>> InputLayer(np.array([[1.0, 5.0], [3.0, 5.0]])).forward(np.array([[2.0, 7.0]]))
    array([[0., 0.]])
    """

    def __init__(self, dataIn):
        super().__init__()
        data = as_matrix(dataIn, "InputLayer", "dataIn")
        require_finite(data, "InputLayer", "dataIn")
        self.meanX = data.mean(axis=0, keepdims=True)
        if data.shape[0] > 1:
            self.stdX = data.std(axis=0, ddof=1, keepdims=True)
        else:
            self.stdX = np.zeros_like(self.meanX)  # one observation: no spread to divide by
        constant = self.stdX == 0
        # Multiplying by 1/std, with 0 for constant columns, keeps those columns at 0 exactly.
        self.inverse_std = np.where(constant, 0.0, 1.0 / np.where(constant, 1.0, self.stdX))
        self.width = data.shape[1]

    def describe(self):
        """``'InputLayer D'``, e.g. ``'InputLayer 16'``: the class and the number of columns."""
        return f"InputLayer {self.width}"

    def _activate(self, X):
        require_width(X, self.width, self.describe())
        require_finite(X, self.describe())
        return (X - self.meanX) * self.inverse_std

    def derivative(self):
        """``1 / std`` per column (0 for constant columns), repeated for each of the ``N``
        rows of the last input: ``N x D``."""
        return np.broadcast_to(self.inverse_std, self._prevIn.shape).copy()

    def backward(self, gradIn):
        """``gradIn / std`` column by column (0 for constant columns): ``N x D`` in and out."""
        return self._backward(self._checked_gradIn(gradIn))

    def _backward(self, gradIn):
        return gradIn * self.inverse_std
