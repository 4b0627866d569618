"""Inverted dropout: a random mask while training, the identity at inference."""
import numbers

import numpy as np

from .._validation import integer_at_least
from .Layer import Layer, checked_backward, checked_forward, diagonal_jacobians

TRAINING, INFERENCE = "training", "inference"  # the modes, as Graph.mode names them


class DropoutLayer(Layer):
    """Inverted dropout with drop probability ``p``. Input ``N x D``, output ``N x D``.

    In training mode (``training = True``, the default; a ``Graph`` sets it on every pass from
    its own mode), each ``forward`` draws one mask ``M`` (``N x D``, each entry kept with
    probability ``1 - p``, independently) and returns ``X * M / (1 - p)``: the kept entries
    are scaled up so that every entry's expected value is unchanged, and inference needs no
    rescaling. ``backward(G)`` uses the mask of the last ``forward``: ``G * M / (1 - p)``.
    ``gradient()`` is the ``N x D x D`` diagonal ``diag(M_n / (1 - p))``.

    In inference mode (``training = False``) it is the identity, forward and backward.
    ``ran_in`` says which mode the last ``forward`` ran in (``'training'`` or ``'inference'``),
    and ``backward`` follows that one.

    ``seed`` (an integer ``>= 0``) makes the masks reproducible; ``keep_mask = True`` reuses the
    last mask for inputs of the same shape instead of drawing a new one (for gradient checks
    by central differences, which run ``forward`` many times). ``ValueError`` unless
    ``0 <= p < 1``.

    >>> layer = DropoutLayer(0.5, seed=0)
    >>> out = layer.forward(np.ones((2, 4)))
    >>> sorted(set(out.ravel().tolist()))   # dropped, or kept and doubled
    [0.0, 2.0]
    >>> layer.training = False
    >>> layer.forward(np.ones((1, 2)))
    array([[1., 1.]])
    """

    short_name = "dropout"

    def __init__(self, p, seed=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
            raise ValueError(f"DropoutLayer: p (the probability of dropping an entry) must be a "
                             f"number with 0 <= p < 1, got {p!r}")
        self.p = float(p)
        self.seed = None if seed is None else integer_at_least(seed, 0, "DropoutLayer", "seed")
        self._rng = np.random.default_rng(self.seed)
        #: whether ``forward`` drops entries (training) or passes them on (inference)
        self.training = True
        #: reuse the last mask for an input of the same shape (gradient checks)
        self.keep_mask = False
        self.ran_in = None
        self._mask = None

    def describe(self):
        """``'DropoutLayer p=0.5'``."""
        return f"DropoutLayer p={self.p:g}"

    @property
    def mode(self):
        """``'training'`` or ``'inference'``: the mode the next ``forward`` runs in."""
        return TRAINING if self.training else INFERENCE

    @property
    def batch_dependence(self):
        """Why a row's output depends on more than that row (the grading kit's "rows
        independent" check reads it): in training mode, one random mask is drawn for the whole
        batch; ``None`` at inference."""
        if self.training and self.p > 0:
            return "draws one random mask for the whole batch (training mode)"
        return None

    @property
    def mask(self):
        """The ``N x D`` mask of the last training ``forward`` (``True`` where kept), or ``None``."""
        return self._mask

    @checked_forward
    def forward(self, dataIn):
        """``dataIn * M / (1 - p)`` with a fresh mask ``M`` in training mode, ``dataIn``
        itself at inference: ``N x D`` in, ``N x D`` out."""
        self._prevIn = dataIn
        if not self.training or self.p == 0.0:
            self.ran_in = TRAINING if self.training else INFERENCE
            self._mask = None
            self._prevOut = dataIn
            return dataIn
        self.ran_in = TRAINING
        if not (self.keep_mask and self._mask is not None and self._mask.shape == dataIn.shape):
            self._mask = self._rng.random(dataIn.shape) >= self.p
        self._scale = self._mask / (1.0 - self.p)
        if self._scale.dtype != dataIn.dtype:
            self._scale = self._scale.astype(dataIn.dtype)
        self._prevOut = out = dataIn * self._scale
        return out

    def gradient(self):
        """``N x D x D``: ``diag(M_n / (1 - p))`` per observation (the identity at inference)."""
        self._require_forward()
        d = self._scale if self._mask is not None else np.ones_like(self._prevOut)
        return diagonal_jacobians(d)

    @checked_backward
    def backward(self, gradIn):
        """``gradIn * M / (1 - p)`` with the last forward's mask (``gradIn`` itself when that
        forward ran at inference): ``N x D`` in and out."""
        if self._mask is None:
            return gradIn
        return gradIn * self._scale
