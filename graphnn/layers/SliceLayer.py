"""A block of columns of its input (one time step of a sequence laid out in a row)."""
import numpy as np

from .._validation import integer_at_least
from .Layer import Layer, checked_backward, checked_forward


class SliceLayer(Layer):
    """``y = x[:, start:stop]``: input ``N x D`` (``D >= stop``), output ``N x (stop - start)``.

    Values in a graph are ``N x D``; a sequence of ``T`` steps of ``D`` features each travels
    as one ``N x (T D)`` row per observation, and ``SliceLayer(t D, (t + 1) D)`` takes out
    step ``t`` (``graphnn.unroll`` does this for you). ``backward(G)`` puts ``G`` back into
    the columns it came from and zeros elsewhere: ``N x D``. ``gradient()`` is the
    ``N x (stop - start) x D`` selection Jacobian of each observation.

    A ``ValueError`` says so when ``start`` is not an integer ``>= 0`` or ``stop`` not one
    ``> start``, and when the input has fewer than ``stop`` columns.

    >>> SliceLayer(1, 3).forward(np.array([[1.0, 2.0, 3.0, 4.0]]))
    array([[2., 3.]])
    """

    short_name = "slice"

    def __init__(self, start, stop):
        super().__init__()
        self.start = integer_at_least(start, 0, "SliceLayer", "start")
        self.stop = integer_at_least(stop, self.start + 1, "SliceLayer", "stop")

    def describe(self):
        """``'SliceLayer [start:stop]'``."""
        return f"SliceLayer [{self.start}:{self.stop}]"

    def check_input(self, X):
        """Refuse an input with fewer than ``stop`` columns."""
        if X.shape[1] < self.stop:
            raise ValueError(
                f"{self.describe()}: input has {X.shape[1]} columns, needs at least {self.stop} "
                f"(got {X.shape[0]} x {X.shape[1]})"
            )

    @checked_forward
    def forward(self, dataIn):
        """Columns ``start:stop`` of ``dataIn`` (``N x D``): ``N x (stop - start)``, a copy."""
        self._prevIn = dataIn
        self._prevOut = out = dataIn[:, self.start:self.stop].copy()
        return out

    def gradient(self):
        """``N x (stop - start) x D``: ones where output column ``j`` is input column
        ``start + j``, zeros elsewhere, for each observation."""
        self._require_forward()
        n, width = self._prevIn.shape
        block = np.eye(width, dtype=self._prevOut.dtype)[self.start:self.stop]
        return np.broadcast_to(block, (n,) + block.shape).copy()

    @checked_backward
    def backward(self, gradIn):
        """``gradIn`` (``N x (stop - start)``) in columns ``start:stop`` of an ``N x D`` array of
        zeros."""
        grad = np.zeros(self._prevIn.shape, dtype=np.result_type(gradIn, self._prevIn))
        grad[:, self.start:self.stop] = gradIn
        return grad
