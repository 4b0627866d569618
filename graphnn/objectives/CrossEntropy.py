"""Cross entropy between target and estimated distributions."""
import numpy as np

from ..layers.SoftmaxLayer import SoftmaxLayer
from .Objective import Objective, checked_pair

#: ``Yhat`` is raised to at least ``EPSILON`` before ``ln`` and division, so an estimate of
#: exactly 0 gives a large but finite loss and gradient.
EPSILON = 1e-7

#: how far a target row's sum may stray from 1 and still count as a distribution
ROW_SUM_TOLERANCE = 1e-6


class CrossEntropy(Objective):
    """``J = -mean_n sum_k y ln(yhat)``; gradient ``-Y / Yhat``. ``Y``, ``Yhat``: ``N x K``.

    Each row of ``Y`` must be a distribution (entries in ``[0, 1]`` summing to 1, e.g. one-hot)
    and ``Yhat`` must lie in ``[0, 1]``; ``Yhat`` is raised to at least ``EPSILON = 1e-7``.

    >>> Y = np.array([[1.0, 0, 0], [0, 1, 0]])
    >>> Yhat = np.array([[0.2, 0.2, 0.6], [0.2, 0.7, 0.1]])
    >>> round(CrossEntropy().eval(Y, Yhat), 6)
    0.983056
    """

    #: ``SoftmaxLayer`` followed by CrossEntropy: a ``Graph`` sends ``Yhat - Y`` straight to the
    #: activation's input (``Objective.fused_gradient``)
    fuses_with = SoftmaxLayer

    @checked_pair
    def fused_gradient(self, Y, Yhat):
        """Through the softmax: ``Yhat * sum_k Y - Y`` (``N x K``, for ``Y`` and ``Yhat`` both
        ``N x K``), which is ``Yhat - Y`` for targets summing to 1 and stays exact for rows that
        miss 1 by the allowed tolerance."""
        return Yhat * np.add.reduce(Y, axis=1, keepdims=True) - Y

    def _one_d_targets_message(self, Y, estimates_shape):
        message = super()._one_d_targets_message(Y, estimates_shape)
        if len(estimates_shape) == 2 and estimates_shape[0] == Y.size and estimates_shape[1] > 1:
            K = estimates_shape[1]
            if _are_labels(Y, K):
                return (f"{self.describe()}: Y (targets) looks like {Y.size} class labels "
                        f"(integers 0..{K - 1}); CrossEntropy needs one-hot targets, "
                        f"N x K = {Y.size} x {K}: Y = np.eye({K})[labels.astype(int)]")
        return message

    def _shape_hint(self, Y, Yhat):
        K = Yhat.shape[1]
        if Y.shape[0] != Yhat.shape[0] or Y.shape[1] != 1 or K == 1:
            return ""
        if _are_labels(Y, K):
            return (f". Y looks like class labels (one column of integers 0..{K - 1}): "
                    f"CrossEntropy needs one-hot targets, one column per class: "
                    f"Y = np.eye({K})[labels.ravel().astype(int)]")
        return (f". CrossEntropy compares distributions: each row of Y needs {K} entries "
                f"(one per class, e.g. one-hot) summing to 1")

    def _clipped(self, Y, Yhat):
        self._require_between_0_and_1(Y, "Y (targets)")
        self._require_between_0_and_1(Yhat, "Yhat (estimates)")
        sums = Y.sum(axis=1)
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE * Y.shape[1]
        if off.any():
            row = int(np.argmax(off))
            hint = ""
            if Y.shape[1] == 1:  # one column: a 0/1 target or labels, never a distribution
                hint = ("; a single column is not a distribution over classes: for class "
                        "labels use one-hot targets np.eye(K)[labels.ravel().astype(int)] "
                        "with K estimate columns, and for one 0/1 target, LogLoss")
            raise ValueError(
                f"{self.describe()}: each row of Y (targets) must be a distribution summing to 1; "
                f"{int(off.sum())} rows do not, the first is row {row} (sum {sums[row]}){hint}"
            )
        return Y, np.maximum(Yhat, EPSILON)

    @checked_pair
    def eval(self, Y, Yhat):
        """The mean cross entropy for ``Y``, ``Yhat`` both ``N x K``: a float. Raises
        ``ValueError`` for entries outside ``[0, 1]`` or target rows not summing to 1."""
        Y, P = self._clipped(Y, Yhat)
        return float(-np.einsum("nk,nk->", Y, np.log(P)) / Y.shape[0])

    @checked_pair
    def gradient(self, Y, Yhat):
        """``-Y / Yhat`` with ``Yhat`` raised to at least ``EPSILON``, ``N x K``: each
        observation's gradient with respect to ``Yhat``; same checks as ``eval``."""
        Y, P = self._clipped(Y, Yhat)
        return -Y / P


def _are_labels(Y, K):
    """Whether every entry of ``Y`` is an integer in ``0..K-1``: class labels, most likely."""
    with np.errstate(invalid="ignore"):
        return bool(np.all((Y == np.round(Y)) & (Y >= 0) & (Y < K)))
