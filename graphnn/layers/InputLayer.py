"""Z-scoring of the features, with statistics fixed when the layer is built."""
import numpy as np

from .._validation import as_batch, describe_shape, ieee_arithmetic, require_finite, require_width
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

    Data of higher rank, batch first (``N x C x H x W`` images, ``N x C x L``), is z-scored
    channel by channel: the statistics of axis 1 are taken over every other axis (the
    observations and the pixels), as image pipelines normalize, so that every pixel of a
    channel is scaled alike and a pattern keeps its shape wherever it lies. (For ``N x D``
    this is the same rule: axis 1 holds the columns.) ``meanX`` and ``stdX`` are then
    ``1 x C x 1 x 1``; later inputs must have the rank and per-observation shape of
    ``dataIn`` (``C x H x W``).

    The layer is affine, so its Jacobian is ``diag(1 / std)`` (0 for constant columns) and
    ``backward`` scales the gradient by ``1 / std``.

    >>> InputLayer(np.array([[1.0, 5.0], [3.0, 5.0]])).forward(np.array([[2.0, 7.0]]))
    array([[0., 0.]])
    """

    def __init__(self, dataIn):
        super().__init__()
        data = as_batch(dataIn, "InputLayer", "dataIn", ndim=None)
        require_finite(data, "InputLayer", "dataIn")
        # Statistics per entry of axis 1 (a column; a channel of images), over all other axes.
        axes = 0 if data.ndim == 2 else (0,) + tuple(range(2, data.ndim))
        # The statistics are computed on each column divided by a power of two near its
        # largest magnitude: bit for bit the plain ones (scaling by 2^k is exact), but the sum
        # of squares of entries near 1e308 no longer overflows, nor do tiny entries underflow.
        high, low = data.max(axis=axes, keepdims=True), data.min(axis=axes, keepdims=True)
        _, exponent = np.frexp(np.maximum(high, -low))
        scale = np.ldexp(np.ones_like(high), exponent - 1)
        scaled = data / scale
        mean = scaled.mean(axis=axes, keepdims=True)
        # A constant column (or a single observation) has no spread to divide by. Tested on
        # the data, not on std == 0: the mean of seven 0.1 is not 0.1 to rounding, so numpy's
        # std of that column is 1.5e-17, and dividing by it would blow rounding up to z-scores.
        constant = high == low
        if data.size > data.shape[1]:  # more than one value per column (or channel)
            std = np.where(constant, 0.0, scaled.std(axis=axes, ddof=1, keepdims=True))
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
        #: the number of columns (of channels, for data of higher rank)
        self.width = data.shape[1]
        #: each observation's shape: ``(D,)``, or ``(C, H, W)`` for images
        self.feature_shape = data.shape[1:]
        #: the rank later inputs must have: that of ``dataIn``
        self.input_ndim = data.ndim

    def describe(self):
        """``'InputLayer D'``, e.g. ``'InputLayer 16'``: the class and the number of columns
        (for data of higher rank, each observation's shape: ``'InputLayer 1 x 8 x 8'``)."""
        if len(self.feature_shape) == 1:
            return f"InputLayer {self.width}"
        return f"InputLayer {describe_shape(self.feature_shape)}"

    def check_input(self, X):
        """Refuse an input of another width (or per-observation shape) than the data the
        layer was built with."""
        if X.ndim == 2:
            require_width(X, self.width, self.describe())
        elif X.shape[1:] != self.feature_shape:
            raise ValueError(
                f"{self.describe()}: input must be N x {describe_shape(self.feature_shape)} "
                f"like the data the layer was built with, got {describe_shape(X.shape)}")

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
        rows of the last input: ``N x D`` (shaped like the last input, for higher ranks)."""
        return np.broadcast_to(self.inverse_std, self._prevIn.shape).copy()

    @checked_backward
    def backward(self, gradIn):
        """``gradIn / std`` column by column (channel by channel for images; 0 for constant
        ones): ``N x D`` in and out, or shaped like the last input."""
        if type(self).derivative is not InputLayer.derivative:  # a subclass's own f'
            return gradIn * self.derivative()
        return gradIn * self.inverse_std
