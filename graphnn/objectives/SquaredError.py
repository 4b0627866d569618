"""Squared error."""
import numpy as np

from .Objective import Objective


class SquaredError(Objective):
    """``J = mean_n sum_k (y - yhat)^2``; gradient ``-2 (Y - Yhat)``. ``Y``, ``Yhat``: ``N x K``.

    With one output column (``K = 1``) this is the seed's ``mean((Y - Yhat) * (Y - Yhat))``.

    >>> round(SquaredError().eval(np.array([[0.0], [1.0]]), np.array([[0.2], [0.3]])), 12)
    0.265
    """

    def eval(self, Y, Yhat):
        """``mean_n sum_k (y - yhat)^2`` for ``Y``, ``Yhat`` both ``N x K``: a float."""
        Y, Yhat = self._checked_pair(Y, Yhat)
        diff = Y - Yhat
        return float(np.einsum("nk,nk->", diff, diff) / Y.shape[0])

    def gradient(self, Y, Yhat):
        """``-2 (Y - Yhat)``, ``N x K``: each observation's gradient with respect to ``Yhat``."""
        Y, Yhat = self._checked_pair(Y, Yhat)
        return -2.0 * (Y - Yhat)
