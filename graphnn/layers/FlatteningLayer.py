"""Flattening: each observation's entries as one row, for a fully connected layer to read."""
import numpy as np

from .Layer import Layer, checked_backward, checked_forward, diagonal_jacobians
from .windows import require_small_jacobian


class FlatteningLayer(Layer):
    """``N x C x H x W`` (or any rank of at least 2, batch first) in, ``N x (C H W)`` out: each
    observation's entries in C order (the last axis fastest), as PyTorch's
    ``flatten(x, 1)`` and ONNX ``Flatten`` (axis 1). An ``N x D`` input passes unchanged.

    Local rule: nothing is computed, only arranged, so ``backward`` puts the gradient's rows
    back into the input's shape: ``dX = G.reshape(X.shape)``. Both are views when the array
    allows it (no copy).

    ``gradient()`` is the identity for every observation, ``N x D x D`` (the seed's tensor
    form, as ``LinearLayer``'s), built only for small inputs.

    >>> FlatteningLayer().forward(np.zeros((5, 2, 3, 3))).shape
    (5, 18)
    """

    short_name = "flat"  # node names in a Graph: flat1, flat2, ...
    input_ndim = None  # any rank of at least 2

    @checked_forward
    def forward(self, dataIn):
        """``dataIn.reshape(N, -1)``: ``N x C x H x W`` in, ``N x (C H W)`` out."""
        self._prevIn = dataIn
        self._prevOut = out = dataIn.reshape(dataIn.shape[0], -1)
        return out

    def gradient(self):
        """``N x D x D``: the identity for each observation (``D = C H W``). Raises
        ``ValueError`` before any ``forward``, and for a tensor over ``JACOBIAN_LIMIT`` entries."""
        self._require_forward()
        n, d = self._prevOut.shape
        require_small_jacobian("FlatteningLayer", n * d * d, f"{n} x {d} x {d}",
                               "G reshaped to the input's shape")
        return diagonal_jacobians(np.ones_like(self._prevOut))

    @checked_backward
    def backward(self, gradIn):
        """``gradIn`` (``N x D``) reshaped to the last input's shape, ``N x C x H x W``."""
        return gradIn.reshape(self._prevIn.shape)
