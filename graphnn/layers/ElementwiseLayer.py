"""Base of the layers that act on each entry alone (activations, z-scoring)."""
from abc import abstractmethod

from .Layer import Layer, checked_backward, checked_forward, diagonal_jacobians


class ElementwiseLayer(Layer):
    """A layer ``y = f(x)`` applied entry by entry: ``N x D`` in, ``N x D`` out, or any other
    shape with the batch first (``N x C x H x W`` images in, ``N x C x H x W`` out), so that
    an activation can follow a convolution.

    Subclasses give ``_activate(X)`` and ``derivative()`` (``f'`` at the last input, shaped
    like it). Because ``f`` acts entry by entry, each observation's Jacobian is diagonal, so
    ``backward`` is a plain product ``gradIn * f'`` and never builds the ``N x D x D`` tensor.
    """

    #: any rank of at least 2, batch first: the layer acts on each entry alone
    input_ndim = None

    @checked_forward
    def forward(self, dataIn):
        """``f(dataIn)`` entry by entry: ``N x D`` in, ``N x D`` out (or ``N x ...`` of any
        rank, output shaped like the input). Raises ``ValueError`` for an input that is not
        a numeric array of at least 2 dimensions with at least one row."""
        self._prevIn = dataIn
        self._prevOut = out = self._activate(dataIn)
        return out

    @abstractmethod
    def _activate(self, X):
        """``f(X)``, shaped like ``X``."""

    @abstractmethod
    def derivative(self):
        """``f'`` at the last input, shaped like it (``N x D``: the diagonal of each Jacobian)."""

    def gradient(self):
        """``N x D x D``: for each observation, the diagonal matrix ``diag(f'(x_n))``.

        For an input of higher rank (``N x C x H x W``) each observation's entries are taken
        in C order (``x_n.reshape(-1)``, as ``numpy`` and ``FlatteningLayer`` flatten them):
        ``N x M x M`` with ``M = C H W``, the Jacobian of the flattened output with respect to
        the flattened input. ``backward`` never builds it."""
        self._require_forward()
        d = self.derivative()
        if d.ndim != 2:
            d = d.reshape(d.shape[0], -1)
        return diagonal_jacobians(d)

    @checked_backward
    def backward(self, gradIn):
        """``gradIn * f'(x)``: ``N x D`` in (shaped like the last output), ``N x D`` out, or
        any rank, shaped like the last input. Raises ``ValueError`` before any ``forward`` or
        for a ``gradIn`` of another shape.

        The library's activations compute this product their own faster way; each of them
        falls back to this plain product when a subclass redefines ``derivative()``, so that
        ``backward`` keeps agreeing with ``gradient()``."""
        return gradIn * self.derivative()  # inf * 0 is NaN, quietly (docs/reliability.md)
