"""Z-scoring of the features, with statistics fixed when the layer is built."""
import numpy as np

from .._validation import as_matrix, ieee_arithmetic, require_finite, require_width
from .ElementwiseLayer import ElementwiseLayer
from .Layer import checked_backward


class InputLayer(ElementwiseLayer):
    """``y = (x - mean) / std``, column by column, with the mean and the *sample* standard
    deviation (``ddof=1``) of ``dataIn``, the data the layer is built with.

    Input ``N x D`` (``D`` as in ``dataIn``), output ``N x D``. A constant column (or
    any column of a single observation) maps to 0 rather than NaN. NaN or inf
    in ``dataIn`` or in a later input, or an input of another width, is refused with a
    ``ValueError``. Any finite data can be z-scored, entries near the float range
    (``+/-1e308``) included.

    The layer is affine, so its Jacobian is ``diag(1 / std)`` (0 for constant columns) and
    ``backward`` scales the gradient by ``1 / std``.

    >>> InputLayer(np.array([[1.0, 5.0], [3.0, 5.0]])).forward(np.array([[2.0, 7.0]]))
    array([[0., 0.]])
    """

    def __init__(self, dataIn):
        super().__init__()
        data = as_matrix(dataIn, "InputLayer", "dataIn")
        require_finite(data, "InputLayer", "dataIn")
        # The statistics are computed on each column divided by a power of two near its
        # largest magnitude: bit for bit the plain ones (scaling by 2^k is exact), but the sum
        # of squares of entries near 1e308 no longer overflows, nor do tiny entries underflow.
        high, low = data.max(axis=0, keepdims=True), data.min(axis=0, keepdims=True)
        _, exponent = np.frexp(np.maximum(high, -low))
        scale = np.ldexp(np.ones_like(data[:1]), exponent - 1)
        scaled = data / scale
        mean = scaled.mean(axis=0, keepdims=True)
        # A constant column (or a single observation) has no spread to divide by. Tested on
        # the data, not on std == 0: the mean of seven 0.1 is not 0.1 to rounding, so numpy's
        # std of that column is 1.5e-17, and dividing by it would blow rounding up to z-scores.
        constant = high == low
        if data.shape[0] > 1:
            std = np.where(constant, 0.0, scaled.std(axis=0, ddof=1, keepdims=True))
        else:
            std = np.zeros_like(mean)
        # Multiplying by 1/std, with 0 for constant columns, keeps those columns at 0 exactly.
        inverse_std = np.where(constant, 0.0, 1.0 / np.where(constant, 1.0, std))
        with ieee_arithmetic():  # a std beyond the float range is inf (its inverse is not 0)
            self.meanX, self.stdX = mean * scale, std * scale
            self.inverse_std = inverse_std / scale
            spans_the_range = not np.isfinite(high - low).all()
        # Where x - mean can overflow, forward works on the scaled values instead.
        self._scaled = (1.0 / scale, mean, inverse_std) if spans_the_range else None
        self.width = data.shape[1]

    def describe(self):
        """``'InputLayer D'``, e.g. ``'InputLayer 16'``: the class and the number of columns."""
        return f"InputLayer {self.width}"

    def check_input(self, X):
        """Refuse an input of another width than the data the layer was built with."""
        require_width(X, self.width, self.describe())

    def _activate(self, X):
        # A value check, on every input: NaN or inf cannot be z-scored.
        require_finite(X, self.describe())
        # A z-score beyond the float range is inf, quietly (the caller's IEEE context).
        if self._scaled is not None:
            inverse_scale, mean, inverse_std = self._scaled
            return (X * inverse_scale - mean) * inverse_std
        return (X - self.meanX) * self.inverse_std

    def derivative(self):
        """``1 / std`` per column (0 for constant columns), repeated for each of the ``N``
        rows of the last input: ``N x D``."""
        return np.broadcast_to(self.inverse_std, self._prevIn.shape).copy()

    @checked_backward
    def backward(self, gradIn):
        """``gradIn / std`` column by column (0 for constant columns): ``N x D`` in and out."""
        if type(self).derivative is not InputLayer.derivative:  # a subclass's own f'
            return gradIn * self.derivative()
        return gradIn * self.inverse_std
