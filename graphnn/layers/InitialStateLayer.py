"""The initial hidden state of a recurrent network: a learnable row, one copy per observation."""
import numpy as np

from .._validation import integer_at_least
from ..parameter import Parameter
from .Layer import Layer, checked_backward, checked_forward


class InitialStateLayer(Layer):
    """``y = 1_N h0``: the ``1 x width`` parameter ``state`` repeated for each of the ``N`` rows
    of its input. Input ``N x D`` (read for ``N`` only), output ``N x width``.

    A recurrent network needs ``h_0`` before its first step; this layer gives every
    observation the same one, zeros to begin with (what ``torch.nn.RNN`` and ``torch.nn.GRU``
    use when given none), and learns it like any parameter: the gradient that reaches the
    start of the sequence lands here, ``d state = mean_n G[n]``.

    The output does not depend on the input's values, so ``backward(G)`` returns zeros
    (``N x D``) and ``gradient()`` the ``N x width x D`` zero Jacobians. ``dtype`` (float64 by
    default) is the state's. ``ValueError`` when ``width`` is not a positive integer.

    >>> InitialStateLayer(2).forward(np.ones((3, 5)))
    array([[0., 0.],
           [0., 0.],
           [0., 0.]])
    """

    short_name = "h0"

    def __init__(self, width, dtype=np.float64):
        super().__init__()
        self.width = integer_at_least(width, 1, "InitialStateLayer", "width")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"InitialStateLayer: dtype must be a floating type, got {dtype}")
        self.state = Parameter(np.zeros((1, self.width), dtype=dtype), "state")

    def describe(self):
        """``'InitialStateLayer width'``."""
        return f"InitialStateLayer {self.width}"

    def parameters(self):
        """``(state,)``: the ``1 x width`` initial state."""
        return (self.state,)

    @checked_forward
    def forward(self, dataIn):
        """``state`` repeated for each row of ``dataIn`` (``N x D``): ``N x width``."""
        self._prevIn = dataIn
        state = self.state.value
        self._prevOut = out = np.repeat(state, dataIn.shape[0], axis=0)
        return out

    def gradient(self):
        """``N x width x D`` zeros: the output does not change with the input."""
        self._require_forward()
        n, width = self._prevOut.shape
        return np.zeros((n, width, self._prevIn.shape[1]), dtype=self._prevOut.dtype)

    @checked_backward
    def backward(self, gradIn):
        """Zeros shaped like the input (``N x D``); adds ``mean_n gradIn[n]`` (``1 x width``)
        to ``state``'s gradient."""
        self.state.accumulate(np.mean(gradIn, axis=0, keepdims=True))
        return np.zeros(self._prevIn.shape, dtype=np.result_type(gradIn, self._prevIn))

    @checked_backward
    def backward_parameters(self, gradIn):
        """Add ``mean_n gradIn[n]`` (``1 x width``) to ``state``'s gradient, for ``gradIn``
        ``N x width``."""
        self.state.accumulate(np.mean(gradIn, axis=0, keepdims=True))
