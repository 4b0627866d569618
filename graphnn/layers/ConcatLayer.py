"""Column-wise concatenation of several inputs."""
import numpy as np

from .._validation import integer_at_least
from .Layer import Layer, checked_backward, checked_forward


class ConcatLayer(Layer):
    """``y = [x_1, x_2, ..., x_k]`` side by side: inputs ``N x D_i``, output
    ``N x (D_1 + ... + D_k)``.

    ``backward(G)`` splits ``G`` back into the column blocks, one per input (a tuple).
    ``gradient()`` returns, per input, the ``N x D x D_i`` Jacobian (a selection matrix),
    where ``D = D_1 + ... + D_k``. ``n_inputs`` (an integer ``>= 2``, default 2) is how many
    arrays ``forward`` takes.

    >>> ConcatLayer().forward(np.zeros((1, 1)), np.ones((1, 2)))
    array([[0., 1., 1.]])
    """

    def __init__(self, n_inputs=2):
        super().__init__()
        self.n_inputs = integer_at_least(n_inputs, 2, "ConcatLayer", "n_inputs")
        self._splits = None

    def describe(self):
        """``'ConcatLayer k inputs'``."""
        return f"ConcatLayer {self.n_inputs} inputs"

    def check_input(self, *inputs):
        """Refuse inputs with different numbers of rows."""
        if len({a.shape[0] for a in inputs}) > 1:
            shapes = ", ".join(f"{a.shape[0]} x {a.shape[1]}" for a in inputs)
            raise ValueError(f"{self.describe()}: inputs must have the same number of rows, got {shapes}")

    @checked_forward
    def forward(self, *dataIn):
        """The ``n_inputs`` arrays (``N x D_i``) side by side: ``N x (D_1 + ... + D_k)``.
        Raises ``ValueError`` for another number of arrays or different numbers of rows."""
        self._splits = np.cumsum([a.shape[1] for a in dataIn])[:-1]
        self._prevIn = list(dataIn)
        self._prevOut = out = np.concatenate(dataIn, axis=1)
        return out

    def gradient(self):
        """A tuple with, per input ``i``, the ``N x D x D_i`` Jacobian ``dy/dx_i`` (ones where
        output column ``j`` is input ``i``'s column, zeros elsewhere)."""
        self._require_forward()
        n, width = self._prevOut.shape
        identity = np.eye(width, dtype=self._prevOut.dtype)
        return tuple(
            np.broadcast_to(block, (n,) + block.shape).copy()
            for block in np.split(identity, self._splits, axis=1)
        )

    @checked_backward
    def backward(self, gradIn):
        """``gradIn`` (``N x (D_1 + ... + D_k)``) split into its column blocks: a tuple of
        ``N x D_i`` arrays, one per input."""
        return tuple(np.split(gradIn, self._splits, axis=1))
