"""Element-wise product of two inputs (the gates of recurrent cells)."""
import numpy as np

from .._validation import require_same_shape
from .Layer import Layer, checked_backward, checked_forward, diagonal_jacobians


class MultiplyLayer(Layer):
    """``y = a * b`` entry by entry: two inputs, each ``N x D``, output ``N x D``.

    The product rule gives each input the other one as its derivative: ``backward(G)``
    returns ``(G * b, G * a)`` (a tuple, one ``N x D`` gradient per input). A gate
    (``r * h``, ``z * h``) is this layer with a sigmoid's output in one slot.
    ``gradient()`` returns, per input, the ``N x D x D`` diagonal Jacobian: ``diag(b_n)`` for
    ``a`` and ``diag(a_n)`` for ``b``.

    >>> MultiplyLayer().forward(np.array([[2.0, 3.0]]), np.array([[0.5, -1.0]]))
    array([[ 1., -3.]])
    """

    short_name = "mul"  # node names in a Graph: mul1, mul2, ...
    n_inputs = 2

    def describe(self):
        """``'MultiplyLayer'``."""
        return "MultiplyLayer"

    def check_input(self, a, b):
        """Refuse two inputs of different shapes (no broadcasting: a gate and what it gates
        are the same shape)."""
        if a.shape != b.shape:
            require_same_shape(b, a.shape, self.describe(), "input 1 (shaped like input 0)")

    @checked_forward
    def forward(self, a, b):
        """``a * b``: two ``N x D`` arrays in, ``N x D`` out. Raises ``ValueError`` for another
        number of arrays or arrays of different shapes."""
        self._prevIn = [a, b]
        self._prevOut = out = a * b
        return out

    def gradient(self):
        """``(diag(b_n), diag(a_n))``: per input, the ``N x D x D`` Jacobian of each observation
        (diagonal, the other input on the diagonal)."""
        self._require_forward()
        a, b = self._prevIn
        return diagonal_jacobians(b), diagonal_jacobians(a)

    @checked_backward
    def backward(self, gradIn):
        """``(gradIn * b, gradIn * a)``: ``N x D`` in, one ``N x D`` gradient per input."""
        a, b = self._prevIn
        return gradIn * b, gradIn * a
