"""Base of the layers that act on each entry alone (activations, z-scoring)."""
from abc import abstractmethod

from .Layer import Layer, checked_backward, checked_forward, diagonal_jacobians


class ElementwiseLayer(Layer):
    """A layer ``y = f(x)`` applied entry by entry: ``N x D`` in, ``N x D`` out.

    Subclasses give ``_activate(X)`` and ``derivative()`` (``f'`` at the last input, ``N x D``).
    Because ``f`` acts entry by entry, each observation's Jacobian is diagonal, so
    ``backward`` is a plain product ``gradIn * f'`` and never builds the ``N x D x D`` tensor.
    """

    @checked_forward
    def forward(self, dataIn):
        """``f(dataIn)`` entry by entry: ``N x D`` in, ``N x D`` out. Raises ``ValueError``
        for an input that is not a 2-D numeric array with at least one row."""
        self._prevIn = dataIn
        self._prevOut = out = self._activate(dataIn)
        return out

    @abstractmethod
    def _activate(self, X):
        """``f(X)``, ``N x D``."""

    @abstractmethod
    def derivative(self):
        """``f'`` at the last input, ``N x D`` (the diagonal of each Jacobian)."""

    def gradient(self):
        """``N x D x D``: for each observation, the diagonal matrix ``diag(f'(x_n))``."""
        self._require_forward()
        d = self.derivative()
        return diagonal_jacobians(d)

    @checked_backward
    def backward(self, gradIn):
        """``gradIn * f'(x)``: ``N x D`` in (shaped like the last output), ``N x D`` out.
        Raises ``ValueError`` before any ``forward`` or for a ``gradIn`` of another shape.

        The library's activations compute this product their own faster way; each of them
        falls back to this plain product when a subclass redefines ``derivative()``, so that
        ``backward`` keeps agreeing with ``gradient()``."""
        return gradIn * self.derivative()  # inf * 0 is NaN, quietly (docs/reliability.md)
