"""The softmax, row by row."""
import numpy as np

from .Layer import Layer, checked_backward, checked_forward


class SoftmaxLayer(Layer):
    """``y_j = exp(x_j) / sum_k exp(x_k)`` for each observation (row). ``N x D`` -> ``N x D``.

    The row maximum is subtracted before ``exp`` (which leaves the result unchanged), so inputs
    of any finite size give finite outputs without warnings; NaN or inf in a row make that row
    NaN, quietly. An input without columns (``N x 0``) is refused with a ``ValueError``.

    Each observation's Jacobian is ``diag(s) - s s^T``; ``gradient()`` returns them as an
    ``N x D x D`` tensor, while ``backward`` uses the row-wise product
    ``s * (g - sum(g * s))``, which is the same numbers in ``O(N D)`` memory.

    >>> SoftmaxLayer().forward(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """

    def check_input(self, X):
        """Refuse an input without columns."""
        if X.shape[1] == 0:
            raise ValueError(
                f"{self.describe()}: input {X.shape[0]} x 0 has no columns; the softmax of a row "
                "needs at least one entry"
            )

    @checked_forward
    def forward(self, dataIn):
        """The softmax of each row: ``N x D`` in, ``N x D`` out, each row positive and
        summing to 1. Raises ``ValueError`` for an input that is not a 2-D numeric array."""
        # A gap beyond the float range is -inf, whose exp is 0: the right answer. NaN or inf in
        # a row give NaN quietly (docs/reliability.md).
        shifted = np.exp(dataIn - dataIn.max(axis=1, keepdims=True))
        shifted /= shifted.sum(axis=1, keepdims=True)
        self._prevIn = dataIn
        self._prevOut = shifted
        return shifted

    def gradient(self):
        """``N x D x D``: ``diag(s_n) - s_n s_n^T`` for each observation ``n``."""
        self._require_forward()
        s = self._prevOut
        jacobians = -np.einsum("ni,nj->nij", s, s)
        np.einsum("nii->ni", jacobians)[...] += s
        return jacobians

    @checked_backward
    def backward(self, gradIn):
        """``s * (g - sum_k g_k s_k)`` row by row, for ``gradIn`` ``g`` and the last output
        ``s``: ``N x D`` in and out, the same numbers as ``gradIn`` times each Jacobian."""
        s = self._prevOut
        return s * (gradIn - np.einsum("nd,nd->n", gradIn, s)[:, None])
