"""The abstract base of every objective (loss) function, and the checks its public methods run."""
import functools
from abc import ABC, abstractmethod

import numpy as np

from .._validation import as_matrix, describe_shape, ieee_quiet, is_matrix, one_d_hint, require_finite


def checked_pair(method):
    """An objective's ``eval``, ``gradient`` or ``fused_gradient`` (the math, ``method(self,
    Y, Yhat)``) behind the checks of its public entry: ``Y`` and ``Yhat`` as ``N x K`` float
    arrays of one shape, ``Y`` in ``Yhat``'s dtype (``_checked_pair``); then the math, in a
    quiet IEEE context. ``__wrapped__`` is the math: a ``Graph`` that has checked a feed of
    the same shapes calls it directly. Checks of *values* (targets outside ``[0, 1]``, NaN),
    which can fail at any step, belong to the math itself."""
    quiet = ieee_quiet(method)

    @functools.wraps(method)
    def checked(self, Y, Yhat):
        return quiet(self, *self._checked_pair(Y, Yhat))
    checked.graphnn_checks = True  # what a Graph's fast path looks for before calling __wrapped__
    return checked


class Objective(ABC):
    """A loss ``J(Y, Yhat) = (1/N) sum_n l(y_n, yhat_n)`` over ``N`` observations.

    Every objective refuses NaN or inf in ``Y`` or ``Yhat`` with a ``ValueError`` naming the
    array and the first bad entry, and ``Y``, ``Yhat`` without columns (``N x 0``).

    - ``eval(Y, Yhat)``: ``J``, a Python ``float``. ``Y`` (targets) and ``Yhat`` (estimates)
      are both ``N x K``.
    - ``gradient(Y, Yhat)``: ``N x K``, row ``n`` being ``dl/dyhat_n`` for that observation,
      i.e. ``N * dJ/dYhat``. It is *not* divided by ``N``: the gradients that flow backward are
      per observation, as in the seed; layers divide by ``N`` when they turn them into parameter
      gradients (docs/conventions.md). It has ``Yhat``'s dtype: ``Y`` is converted to it, so
      float32 estimates give float32 gradients even for integer or float64 targets.

    An objective decorates ``eval``, ``gradient`` and ``fused_gradient`` with ``@checked_pair``
    (above) and writes the math, with the checks of values it needs.
    """

    #: how many input arrays an objective reads, in order: targets, then estimates
    n_inputs = 2

    #: the activation layer class whose output this objective can be fused with (see
    #: ``fused_gradient``); only that exact class, since a subclass may compute another
    #: function; ``None`` for objectives that fuse with nothing
    fuses_with = None

    @checked_pair
    def fused_gradient(self, Y, Yhat):
        """The gradient with respect to the *input* of the ``fuses_with`` activation whose
        output is ``Yhat``, per observation: the product of this objective's ``gradient`` and
        the activation's ``backward``, simplified to ``Yhat - Y``: ``N x K``, for ``Y`` and
        ``Yhat`` both ``N x K``. A ``Graph`` uses it when the activation feeds only this
        objective.

        It agrees with the two-step product to rounding wherever ``Yhat`` lies inside the
        objective's clipping range ``[EPSILON, 1 - EPSILON]``. Where the activation saturates
        beyond it, the two-step product vanishes (the activation's derivative underflows)
        while ``Yhat - Y`` stays the exact derivative of the unclipped loss in the logits.
        """
        return Yhat - Y

    @abstractmethod
    def eval(self, Y, Yhat):
        """``J``, the mean loss over the ``N`` observations, a Python ``float``; ``Y``
        (targets) and ``Yhat`` (estimates) are both ``N x K``. Raises ``ValueError``, naming
        the objective, when they are not 2-D numeric arrays of one shape."""

    @abstractmethod
    def gradient(self, Y, Yhat):
        """``N x K``: the gradient of each observation's loss with respect to ``Yhat`` (``N x
        K``, as ``Y``), i.e. ``N * dJ/dYhat``; same checks as ``eval``."""

    def describe(self):
        """The class name, e.g. ``'LogLoss'``, as messages and diagrams show it."""
        return type(self).__name__

    def __repr__(self):
        return f"<{self.describe()}>"

    def _checked_pair(self, Y, Yhat):
        """Both arrays as ``N x K`` floats of one shape, or a ``ValueError`` naming them."""
        if not (is_matrix(Y) and is_matrix(Yhat)):
            name = self.describe()
            if _ndim(Y) == 1 and _ndim(Yhat) in (1, 2):
                raise ValueError(self._one_d_targets_message(np.asarray(Y), np.shape(Yhat)))
            Y = as_matrix(Y, name, "Y (targets)")
            Yhat = as_matrix(Yhat, name, "Yhat (estimates)")
        if Y.shape != Yhat.shape:
            raise ValueError(
                f"{self.describe()}: Y (targets) and Yhat (estimates) must have one shape, "
                f"N x K; got Y {describe_shape(Y.shape)} and Yhat {describe_shape(Yhat.shape)}"
                + self._shape_hint(Y, Yhat)
            )
        if Y.shape[1] == 0:
            raise ValueError(
                f"{self.describe()}: Y (targets) and Yhat (estimates) are {describe_shape(Y.shape)}, "
                "without columns; a loss needs at least one output per observation"
            )
        if Y.dtype != Yhat.dtype:
            # Targets are constants: they take the estimates' dtype, so that the gradient of a
            # float32 network stays float32 even when the labels were integers (fed as float64).
            Y = Y.astype(Yhat.dtype)
        return Y, Yhat

    def _one_d_targets_message(self, Y, estimates_shape):
        """The message for 1-D targets ``Y`` beside estimates of ``estimates_shape``: it says
        which 2-D shape they likely meant, read off the estimates when those are 2-D."""
        n = Y.size
        if len(estimates_shape) == 2 and estimates_shape[0] == n:
            hint = f"for a column of {n} targets, one per observation, use y.reshape(-1, 1)"
        elif len(estimates_shape) == 2 and estimates_shape == (1, n):
            hint = "for one observation use y.reshape(1, -1)"
        else:  # the estimates cannot tell: offer both readings, a column first
            hint = one_d_hint(n).replace("x.", "y.")
        return (f"{self.describe()}: Y (targets) must be a 2-D N x K array like Yhat "
                f"(estimates), got 1-D shape {tuple(Y.shape)} ({hint})")

    def _shape_hint(self, Y, Yhat):
        """Extra words for targets and estimates of different shapes (objectives may know
        what was likely meant); ``""`` for none."""
        return ""

    def _require_finite_pair(self, Y, Yhat):
        """Raise, naming the array and its first bad entry, if ``Y`` or ``Yhat`` holds NaN or inf
        (the slow path of objectives whose result was not finite)."""
        require_finite(Y, self.describe(), "Y (targets)")
        require_finite(Yhat, self.describe(), "Yhat (estimates)")

    def _require_between_0_and_1(self, array, what):
        """Raise unless every entry lies in ``[0, 1]`` (NaN does not); returns (min, max)."""
        low, high = np.minimum.reduce(array, axis=None), np.maximum.reduce(array, axis=None)
        if not (low >= 0 and high <= 1):  # written so that NaN fails it
            bad = ~((array >= 0) & (array <= 1))
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"{self.describe()}: {what} must lie in [0, 1]; {int(bad.sum())} entries do not, "
                f"the first at row {row}, column {col} ({array[row, col]})"
            )
        return low, high


def _ndim(value):
    """``value``'s number of dimensions as numpy sees it, or ``None`` if it is no array."""
    try:
        return np.ndim(value)
    except (TypeError, ValueError):
        return None
