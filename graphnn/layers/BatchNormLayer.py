"""Batch normalization: each column standardized with the batch's statistics while training,
with running statistics at inference, then scaled and shifted by learned parameters."""
import numbers

import numpy as np

from .._validation import integer_at_least, require_width
from ..parameter import Parameter
from .Layer import Layer, checked_backward, checked_forward, diagonal_jacobians

TRAINING, INFERENCE = "training", "inference"  # the modes, as Graph.mode names them


class BatchNormLayer(Layer):
    """``y = scale * (x - mean) / sqrt(var + eps) + shift``, column by column. Input
    ``N x width``, output ``N x width``.

    In training mode (``training = True``, the default; a ``Graph`` sets it on every pass from
    its own mode) ``mean`` and ``var`` are the batch's: the column means and (biased) variances
    of this ``forward``'s input, so every row's output depends on every other row. Each
    training ``forward`` also moves the running statistics towards the batch's:
    ``running_mean = (1 - momentum) running_mean + momentum mean``, and the same for
    ``running_var`` with the unbiased variance ``var N / (N - 1)`` (PyTorch's rule; a batch of
    one row leaves ``running_var`` as it is). In inference mode ``mean`` and ``var`` are
    ``running_mean`` and ``running_var`` (``1 x width``, zeros and ones to begin with): each row
    on its own, the same output for the same row whatever the batch.

    Parameters: ``scale`` (``1 x width``, ones) and ``shift`` (``1 x width``, zeros).
    ``backward(G)`` (``G`` is ``N x width``), with ``xhat = (x - mean) / sqrt(var + eps)``:

    - at inference, ``G * scale / sqrt(var + eps)``;
    - in training, the gradient also flows through the batch mean and variance:
      ``scale / sqrt(var + eps) * (G - mean_n(G) - xhat * mean_n(G * xhat))``;

    and adds ``d scale = mean_n(G * xhat)`` and ``d shift = mean_n(G)`` to the parameters.
    ``gradient()`` is each observation's own ``N x width x width`` diagonal Jacobian
    ``dy_n/dx_n`` (in training ``scale / sqrt(var + eps) * (1 - 1/N - xhat_n^2 / N)``); in
    training ``backward`` also carries the terms between rows, which no per-observation
    Jacobian holds. ``ran_in`` says which mode the last ``forward`` ran in.

    ``ValueError`` when ``width`` is not a positive integer, ``momentum`` not in ``[0, 1]`` or
    ``eps`` not a positive number; and for an input that is not ``N x width``.

    >>> bn = BatchNormLayer(2)
    >>> bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]])).round(4)
    array([[-1., -1.],
           [ 1.,  1.]])
    """

    short_name = "batchnorm"

    def __init__(self, width, momentum=0.1, eps=1e-5, dtype=np.float64):
        super().__init__()
        self.width = integer_at_least(width, 1, "BatchNormLayer", "width")
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormLayer: momentum must be a number in [0, 1], got {momentum!r}")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"BatchNormLayer: eps must be a positive number, got {eps!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"BatchNormLayer: dtype must be a floating type, got {dtype}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.scale = Parameter(np.ones((1, self.width), dtype=dtype), "scale")
        self.shift = Parameter(np.zeros((1, self.width), dtype=dtype), "shift")
        #: ``1 x width``: the running mean and variance inference normalizes with
        self.running_mean = np.zeros((1, self.width), dtype=dtype)
        self.running_var = np.ones((1, self.width), dtype=dtype)
        #: whether ``forward`` uses the batch's statistics (training) or the running ones
        self.training = True
        self.ran_in = None
        self._xhat = self._inv_std = None

    def describe(self):
        """``'BatchNormLayer width'``."""
        return f"BatchNormLayer {self.width}"

    def parameters(self):
        """``(scale, shift)``: two ``1 x width`` parameters."""
        return (self.scale, self.shift)

    def statistics(self):
        """``("running_mean", "running_var")``: the names of the arrays that are learned by
        counting, not by gradients (``save_parameters`` keeps them beside the parameters)."""
        return ("running_mean", "running_var")

    @property
    def mode(self):
        """``'training'`` or ``'inference'``: the mode the next ``forward`` runs in."""
        return TRAINING if self.training else INFERENCE

    @property
    def batch_dependence(self):
        """Why a row's output depends on more than that row (the grading kit's "rows
        independent" check reads it): the batch statistics, in training mode; ``None`` at
        inference."""
        return "normalizes each column with the batch's mean and variance (training mode)" if self.training else None

    @property
    def mixes_rows(self):
        """Whether ``backward`` carries gradients between rows (training mode): then it is
        not ``G`` times the per-observation Jacobians of ``gradient()``."""
        return self.training

    def check_input(self, X):
        """Refuse an input without ``width`` columns."""
        if X.shape[1] != self.width:
            require_width(X, self.width, self.describe())

    @checked_forward
    def forward(self, dataIn):
        """``scale * xhat + shift``: ``N x width`` in, ``N x width`` out, ``xhat`` standardized
        with the batch's statistics (training) or the running ones (inference)."""
        self._prevIn = X = dataIn
        dtype = np.result_type(X, self.scale.value)
        if self.training:
            self.ran_in = TRAINING
            n = X.shape[0]
            mean = X.mean(axis=0, keepdims=True)
            centred = X - mean
            var = np.mean(centred * centred, axis=0, keepdims=True)
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(self.running_mean.dtype)
            if n > 1:
                self.running_var = ((1 - m) * self.running_var + m * var * (n / (n - 1))).astype(
                    self.running_var.dtype)
        else:
            self.ran_in = INFERENCE
            centred = X - self.running_mean
            var = self.running_var
        self._inv_std = (1.0 / np.sqrt(var + self.eps)).astype(dtype, copy=False)
        self._xhat = centred * self._inv_std
        self._prevOut = out = (self.scale.value * self._xhat + self.shift.value).astype(dtype, copy=False)
        return out

    def gradient(self):
        """``N x width x width``: each observation's diagonal Jacobian ``dy_n/dx_n`` at the last
        ``forward`` (see the class)."""
        self._require_forward()
        d = self.scale.value * self._inv_std * np.ones_like(self._xhat)
        if self.ran_in == TRAINING:
            n = self._xhat.shape[0]
            d = d * (1.0 - 1.0 / n - self._xhat * self._xhat / n)
        return diagonal_jacobians(d)

    @checked_backward
    def backward(self, gradIn):
        """``N x width`` in, ``N x width`` out (see the class); adds the gradients of ``scale``
        and ``shift``."""
        G, xhat = gradIn, self._xhat
        G_mean = G.mean(axis=0, keepdims=True)
        Gx_mean = np.mean(G * xhat, axis=0, keepdims=True)
        self.scale.accumulate(Gx_mean)
        self.shift.accumulate(G_mean)
        factor = self.scale.value * self._inv_std
        if self.ran_in == INFERENCE:
            return G * factor
        return factor * (G - G_mean - xhat * Gx_mean)

    @checked_backward
    def backward_parameters(self, gradIn):
        """Add ``d scale = mean_n(G * xhat)`` and ``d shift = mean_n(G)`` (``1 x width`` each)
        for ``G = gradIn`` (``N x width``), without the input gradient."""
        self.scale.accumulate(np.mean(gradIn * self._xhat, axis=0, keepdims=True))
        self.shift.accumulate(gradIn.mean(axis=0, keepdims=True))
