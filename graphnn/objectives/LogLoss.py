"""Log loss (the negative log likelihood of Bernoulli targets)."""
import inspect
import warnings

import numpy as np

from ..layers.LogisticSigmoidLayer import LogisticSigmoidLayer
from .Objective import Objective, checked_pair

#: ``Yhat`` is clipped to ``[EPSILON, 1 - EPSILON]`` so that a sigmoid that saturates at exactly
#: 0 or 1 gives a large but finite loss and gradient (the same value Keras uses).
EPSILON = 1e-7


class LogLoss(Objective):
    """``J = -mean_n sum_k [y ln(yhat) + (1 - y) ln(1 - yhat)]``. ``Y``, ``Yhat``: ``N x K``.

    The gradient is ``-(Y - Yhat) / (Yhat (1 - Yhat))``. ``Y`` and ``Yhat`` must lie in
    ``[0, 1]``; ``Yhat`` is clipped to ``[EPSILON, 1 - EPSILON]`` (``EPSILON = 1e-7``) in both,
    so ``Yhat`` of exactly 0 or 1 stays finite.

    >>> round(LogLoss().eval(np.array([[0.0], [1.0]]), np.array([[0.2], [0.3]])), 5)
    0.71356
    """

    #: ``LogisticSigmoidLayer`` followed by LogLoss: a ``Graph`` sends ``Yhat - Y`` straight to the
    #: activation's input (``Objective.fused_gradient``)
    fuses_with = LogisticSigmoidLayer

    def _clipped(self, Y, Yhat):
        self._require_between_0_and_1(Y, "Y (targets)")
        low, high = self._require_between_0_and_1(Yhat, "Yhat (estimates)")
        if low < EPSILON or high > 1.0 - EPSILON:  # clipping costs a copy: only when needed
            self._hint_if_swapped(Y, Yhat)
            Yhat = np.clip(Yhat, EPSILON, 1.0 - EPSILON)
        return Y, Yhat

    def _hint_if_swapped(self, Y, Yhat):
        """Estimates that are all exactly 0 or 1 beside targets all strictly inside (0, 1)
        are almost surely labels and probabilities passed in the wrong order (PyTorch's
        losses take the prediction first): a ``UserWarning`` says so. Checked only when the
        estimates reach 0 or 1, so a usual pass pays nothing for it."""
        if np.all((Yhat == 0.0) | (Yhat == 1.0)) and np.all((Y > 0.0) & (Y < 1.0)):
            warnings.warn(
                f"{self.describe()}: every estimate (Yhat, the second argument) is exactly 0 or 1 "
                "and every target (Y, the first) lies strictly between 0 and 1: are the "
                "arguments swapped? The order is eval(Y, Yhat) and gradient(Y, Yhat), targets "
                "first (in a Graph: g.add(LogLoss(), target, estimate)).",
                UserWarning, stacklevel=_caller_outside_graphnn(inspect.currentframe()))

    @checked_pair
    def eval(self, Y, Yhat):
        """The mean log loss for ``Y``, ``Yhat`` both ``N x K`` in ``[0, 1]``: a float.
        Raises ``ValueError`` for entries outside ``[0, 1]`` (or NaN), naming the first."""
        Y, P = self._clipped(Y, Yhat)
        total = np.vdot(Y, np.log(P)) + np.vdot(1.0 - Y, np.log1p(-P))
        return float(-total / Y.shape[0])

    @checked_pair
    def gradient(self, Y, Yhat):
        """``-(Y - Yhat) / (Yhat (1 - Yhat))`` with ``Yhat`` clipped, ``N x K``: each
        observation's gradient with respect to ``Yhat``; same checks as ``eval``."""
        Y, P = self._clipped(Y, Yhat)
        return (P - Y) / (P * (1.0 - P))


#: the modules between a user's call and the warning: graphnn's own (and the program a graph
#: compiles, ``<graphnn program>``), and numpy's ``errstate`` around the public methods
_PASSED_THROUGH = ("graphnn", "numpy", "contextlib", "functools")


def _caller_outside_graphnn(frame):
    """The ``stacklevel`` that blames the first frame outside graphnn (and numpy's wrappers)
    for a warning raised in ``frame``: the user's line, whether the user called ``eval``
    directly or ran a ``Graph``, which reach this code by different paths."""
    level = 1  # the frame that warns
    while frame is not None and _passed_through(frame):
        frame, level = frame.f_back, level + 1
    return level


def _passed_through(frame):
    """Whether ``frame`` runs graphnn's code (the graph's compiled program included) or a wrapper."""
    module = frame.f_globals.get("__name__", "").partition(".")[0]
    return module in _PASSED_THROUGH or frame.f_code.co_filename == "<graphnn program>"
