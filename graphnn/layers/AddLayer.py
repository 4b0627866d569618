"""Element-wise sum of several inputs (residual connections)."""
import numpy as np

from .._validation import ieee_arithmetic, integer_at_least, require_same_shape
from .Layer import Layer


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

    def forward(self, *dataIn):
        """The sum of the ``n_inputs`` arrays, each ``N x D``: ``N x D``. Raises
        ``ValueError`` for another number of arrays or arrays of different shapes."""
        arrays = self._checked_inputs(dataIn)
        with ieee_arithmetic():  # inf + -inf is NaN, quietly (docs/reliability.md)
            return self._forward(*arrays)

    def _forward(self, *arrays):
        out = arrays[0].copy() if len(arrays) == 1 else arrays[0] + arrays[1]
        for array in arrays[2:]:
            out += array
        self._prevIn = list(arrays)
        self._prevOut = out
        return out

    def _checked_inputs(self, dataIn):
        if len(dataIn) != self.n_inputs:
            raise ValueError(f"{self.describe()}: forward takes {self.n_inputs} arrays, got {len(dataIn)}")
        arrays = [self._checked_input(a, f"input {k}") for k, a in enumerate(dataIn)]
        for k, array in enumerate(arrays[1:], start=1):
            require_same_shape(array, arrays[0].shape, self.describe(), f"input {k} (shaped like input 0)")
        return arrays

    def gradient(self):
        """``N x D x D`` identity per observation: the Jacobian with respect to every input."""
        self._require_forward()
        n, width = self._prevOut.shape
        return np.broadcast_to(np.eye(width, dtype=self._prevOut.dtype), (n, width, width)).copy()

    def backward(self, gradIn):
        """``(gradIn,) * n_inputs``: the ``N x D`` gradient, unchanged, once per input (the
        same array each time)."""
        return self._backward(self._checked_gradIn(gradIn))

    def _backward(self, gradIn):
        return (gradIn,) * self.n_inputs
