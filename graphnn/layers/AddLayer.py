"""Element-wise sum of several inputs (residual connections)."""
import numpy as np

from .._validation import integer_at_least, require_same_shape
from .Layer import Layer, checked_backward, checked_forward


class AddLayer(Layer):
    """``y = x_1 + x_2 + ... + x_k``: ``k`` inputs, each ``N x D``, output ``N x D``.

    Each input's Jacobian is the identity, so ``backward(G)`` returns ``G`` once per input
    (a tuple). ``gradient()`` returns the ``N x D x D`` identity tensor shared by every input.
    ``n_inputs`` (an integer ``>= 2``, default 2) is how many arrays ``forward`` takes.

    >>> AddLayer().forward(np.ones((1, 2)), np.ones((1, 2)))
    array([[2., 2.]])
    """

    def __init__(self, n_inputs=2):
        super().__init__()
        self.n_inputs = integer_at_least(n_inputs, 2, "AddLayer", "n_inputs")

    def describe(self):
        """``'AddLayer k inputs'``."""
        return f"AddLayer {self.n_inputs} inputs"

    def check_input(self, *inputs):
        """Refuse inputs of different shapes."""
        for k, array in enumerate(inputs[1:], start=1):
            require_same_shape(array, inputs[0].shape, self.describe(), f"input {k} (shaped like input 0)")

    @checked_forward
    def forward(self, *dataIn):
        """The sum of the ``n_inputs`` arrays, each ``N x D``: ``N x D``. Raises
        ``ValueError`` for another number of arrays or arrays of different shapes."""
        out = dataIn[0].copy() if len(dataIn) == 1 else dataIn[0] + dataIn[1]
        for array in dataIn[2:]:
            out += array  # inf + -inf is NaN, quietly (docs/reliability.md)
        self._prevIn = list(dataIn)
        self._prevOut = out
        return out

    def gradient(self):
        """``N x D x D`` identity per observation: the Jacobian with respect to every input."""
        self._require_forward()
        n, width = self._prevOut.shape
        return np.broadcast_to(np.eye(width, dtype=self._prevOut.dtype), (n, width, width)).copy()

    @checked_backward
    def backward(self, gradIn):
        """``(gradIn,) * n_inputs``: the ``N x D`` gradient, unchanged, once per input (the
        same array each time)."""
        return (gradIn,) * self.n_inputs
