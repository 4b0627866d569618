"""Squared error."""
import math

import numpy as np

from .Objective import Objective, checked_pair


class SquaredError(Objective):
    """``J = mean_n sum_k (y - yhat)^2``; gradient ``-2 (Y - Yhat)``. ``Y``, ``Yhat``: ``N x K``.

    With one output column (``K = 1``) this is the seed's ``mean((Y - Yhat) * (Y - Yhat))``.
    NaN or inf in ``Y`` or ``Yhat`` is refused with a ``ValueError``; finite values whose square
    exceeds the float range give ``inf`` (the loss) or ``+/-inf`` entries (the gradient),
    without a warning.

    >>> round(SquaredError().eval(np.array([[0.0], [1.0]]), np.array([[0.2], [0.3]])), 12)
    0.265
    """

    @checked_pair
    def eval(self, Y, Yhat):
        """``mean_n sum_k (y - yhat)^2`` for ``Y``, ``Yhat`` both ``N x K``: a float."""
        diff = Y - Yhat
        loss = float(np.einsum("nk,nk->", diff, diff) / Y.shape[0])
        if not math.isfinite(loss):  # NaN or inf in, or an overflow (then the loss is inf)
            self._require_finite_pair(Y, Yhat)
        return loss

    @checked_pair
    def gradient(self, Y, Yhat):
        """``-2 (Y - Yhat)``, ``N x K``: each observation's gradient with respect to ``Yhat``."""
        grad = -2.0 * (Y - Yhat)
        finite = math.isfinite(np.add.reduce(grad, axis=None))  # one pass, no copy
        if not finite:
            self._require_finite_pair(Y, Yhat)
        return grad
