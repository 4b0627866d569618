"""Max pooling: the largest value of each window, channel by channel."""
import numpy as np

from .._validation import describe_shape
from .Layer import Layer, checked_backward, checked_forward
from .windows import describe_pair, output_size, pair, require_small_jacobian

OWNER = "MaxPoolLayer"


class MaxPoolLayer(Layer):
    """``Y[n, c, i, j] = max`` of the ``kh x kw`` window of ``X[n, c]`` at rows ``i sh ..``,
    columns ``j sw ..`` (PyTorch's ``max_pool2d``, ONNX ``MaxPool``, without padding).

    Input ``N x C x H x W``, output ``N x C x H' x W'`` with ``H' = (H - kh) // sh + 1`` and
    ``W'`` likewise (the floor: rows and columns that do not fill a last window are dropped,
    as PyTorch does by default). ``size`` and ``stride`` are each an int or a pair
    ``(rows, columns)``, stored as pairs; ``stride`` defaults to ``size`` (windows side by
    side).

    Local rule: each window's gradient goes, whole, to the entry that was its maximum, and the
    other entries get 0: ``dX[n, c, h, w] = sum of G[n, c, i, j]`` over the windows whose
    maximum was ``(h, w)``. Windows that overlap (``stride < size``) add up where they
    share a maximum. **Ties**: when several entries of a window share the maximum, the
    gradient goes to ONE of them, the first in row-major order within the window (the
    top-most, then left-most), as PyTorch's CPU kernel does. (A window holding NaN passes NaN
    on, and its gradient goes to its last NaN, as PyTorch's does.)

    ``gradient()`` is each observation's 0/1 selection matrix, ``N x (C H' W') x (C H W)``:
    a 1 where the output entry took the input entry; built only for small images.

    >>> pool = MaxPoolLayer(2)
    >>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    short_name = "pool"  # node names in a Graph: pool1, pool2, ...
    input_ndim = 4

    def __init__(self, size, stride=None):
        super().__init__()
        self.size = pair(size, 1, OWNER, "size")
        self.stride = self.size if stride is None else pair(stride, 1, OWNER, "stride")
        self._argmax = None  # the last forward's winners (index in the window), H' x W' x N x C
        self._out_shape = None

    def describe(self):
        """``'MaxPoolLayer 2x2'``, followed by ``stride 1`` (or ``1x2``) when it is not the
        window's size."""
        text = f"{OWNER} {describe_pair(self.size)}"
        if self.stride != self.size:
            sh, sw = self.stride
            text += f" stride {sh if sh == sw else describe_pair(self.stride)}"
        return text

    def check_input(self, X):
        """Refuse images smaller than one window."""
        kh, kw = self.size
        if X.shape[2] < kh or X.shape[3] < kw:
            raise ValueError(
                f"{self.describe()}: input images of {X.shape[2]} x {X.shape[3]} pixels are smaller "
                f"than the {kh} x {kw} window (got {describe_shape(X.shape)})"
            )

    def _offset(self, images, p, q):
        """The entries at offset ``(p, q)`` of every window, of ``images`` laid out
        ``H x W x N x C``: a view, ``H' x W' x N x C``."""
        rows, cols = self._out_shape[2:]
        sh, sw = self.stride
        return images[p:p + sh * (rows - 1) + 1:sh, q:q + sw * (cols - 1) + 1:sw]

    @checked_forward
    def forward(self, dataIn):
        """The maximum of each window: ``N x C x H x W`` in, ``N x C x H' x W'`` out. Raises
        ``ValueError`` for an input that is not 4-D numeric, or smaller than one window."""
        self._prevIn = dataIn
        n, channels, height, width = dataIn.shape
        self._out_shape = (n, channels) + output_size(height, width, self.size, self.stride)
        # The images laid out H x W x N x C (one copy), so that the entries at one offset of
        # every window are rows of N C contiguous numbers, and each step below is a fast
        # vectorised operation: one pass per offset in the window (kh kw of them). An entry
        # takes over only when strictly larger, so ties keep the first in row-major order.
        images = np.ascontiguousarray(dataIn.transpose(2, 3, 0, 1))
        best = self._offset(images, 0, 0)
        argmax = np.zeros(best.shape, dtype=np.intp)
        kh, kw = self.size
        for k in range(1, kh * kw):
            candidate = self._offset(images, *divmod(k, kw))
            argmax = np.where(candidate > best, k, argmax)
            best = np.maximum(best, candidate)  # NaN passes on
        if kh * kw == 1:
            best = best.copy()
        elif np.isnan(best).any():  # rare: the winner of a window holding NaN is its last NaN
            for k in range(kh * kw):
                argmax = np.where(np.isnan(self._offset(images, *divmod(k, kw))), k, argmax)
        self._argmax = argmax  # each window's winner, its index inside it (row-major), H' W' N C
        self._prevOut = out = np.ascontiguousarray(best.transpose(2, 3, 0, 1))
        return out

    def _winners(self):
        """The flat index, in ``X.ravel()``, of each output entry's maximum: ``N x C x H' x W'``."""
        n, channels, height, width = self._prevIn.shape
        rows, cols = self._out_shape[2:]
        kh, kw = self.size
        sh, sw = self.stride
        # where each window starts, plus where its winner sits inside it
        start = ((np.arange(n * channels) * (height * width)).reshape(n, channels, 1, 1)
                 + (np.arange(rows) * (sh * width))[:, None] + np.arange(cols) * sw)
        inside = (np.arange(kh)[:, None] * width + np.arange(kw)).ravel()  # offset k -> p W + q
        return start + inside[self._argmax.transpose(2, 3, 0, 1)]

    def gradient(self):
        """The 0/1 selection matrix of each observation, ``N x K x D`` with ``K = C H' W'``
        and ``D = C H W`` (both flattened in C order): entry ``[n, k, d]`` is 1 when output
        ``k`` was input ``d`` (the window's first maximum), else 0. ``backward(G)`` equals
        ``einsum('nk,nkd->nd', G.reshape(N, K), gradient())``, reshaped. Raises ``ValueError``
        before any ``forward``, and for a Jacobian over ``JACOBIAN_LIMIT`` entries."""
        self._require_forward()
        n = self._prevIn.shape[0]
        d_size = self._prevIn[0].size
        k_size = self._prevOut[0].size
        require_small_jacobian(self.describe(), n * k_size * d_size, f"{n} x {k_size} x {d_size}",
                               "the gradient of each window, sent to its maximum,")
        jacobians = np.zeros((n, k_size, d_size), dtype=self._prevOut.dtype)
        within = self._winners().reshape(n, k_size) - (np.arange(n) * d_size)[:, None]
        jacobians[np.arange(n)[:, None], np.arange(k_size)[None, :], within] = 1.0
        return jacobians

    @checked_backward
    def backward(self, gradIn):
        """``dX`` (``N x C x H x W``) for ``G = gradIn`` (``N x C x H' x W'``): each entry of
        ``G`` added to the input entry its window took, 0 elsewhere."""
        X = self._prevIn
        winners = self._winners().ravel()
        (sh, sw), (kh, kw) = self.stride, self.size
        if sh >= kh and sw >= kw:  # windows apart: every input entry wins at most once
            grad = np.zeros(X.size, dtype=gradIn.dtype)
            grad[winners] = gradIn.ravel()
        else:  # overlapping windows: an entry may win several; their gradients add up
            grad = np.bincount(winners, weights=gradIn.ravel(), minlength=X.size)
            grad = grad.astype(gradIn.dtype, copy=False)
        return grad.reshape(X.shape)
