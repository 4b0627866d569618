"""The logistic sigmoid."""
import numpy as np

from .ElementwiseLayer import ElementwiseLayer


class LogisticSigmoidLayer(ElementwiseLayer):
    """``y = 1 / (1 + exp(-x))``. Input ``N x D`` (or any shape ``N x ...``), output
    shaped alike, in ``[0, 1]``.

    ``exp(-x)`` is computed with ``-x`` capped (at 707 for float64, 86 for float32), so it never
    overflows: inputs of any size give finite outputs without warnings. Above ``x = -cap`` the
    result is exact to rounding; below it the output stays at ``1 / (1 + exp(cap))``, the
    smallest normal number the formula reaches (about 9e-308, resp. 4e-38), rather than
    sinking into subnormals. The derivative is ``y (1 - y)``.

    >>> LogisticSigmoidLayer().forward(np.array([[0.0]]))
    array([[0.5]])
    """

    short_name = "sigmoid"  # node names in a Graph: sigmoid1, sigmoid2, ...

    def _activate(self, X):
        out = np.negative(X)
        np.minimum(out, _EXP_LIMIT[out.dtype.type], out=out)
        np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)

    def derivative(self):
        """``y (1 - y)`` at the last output ``y``: ``N x D``."""
        out = self._prevOut
        return out * (1.0 - out)


#: the cap on ``-x`` per floating dtype: the largest ``t`` for which ``1 / (1 + exp(t))`` is
#: still a normal number (subnormal results would make every later product ~10x slower)
_EXP_LIMIT = {
    dtype: dtype(np.floor(-np.log(np.finfo(dtype).tiny)) - 1)
    for dtype in (np.float32, np.float64, np.longdouble)  # graphnn's COMPUTE_DTYPES
}
