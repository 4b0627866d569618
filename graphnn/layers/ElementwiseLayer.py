"""Base of the layers that act on each entry alone (activations, z-scoring)."""
from abc import abstractmethod

import numpy as np

from .._validation import ieee_arithmetic
from .Layer import Layer


class ElementwiseLayer(Layer):
    """A layer ``y = f(x)`` applied entry by entry: ``N x D`` in, ``N x D`` out.

    Subclasses give ``_activate(X)`` and ``derivative()`` (``f'`` at the last input, ``N x D``).
    Because ``f`` acts entry by entry, each observation's Jacobian is diagonal, so
    ``backward`` is a plain product ``gradIn * f'`` and never builds the ``N x D x D`` tensor.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Concrete layers (TanhLayer, ReLULayer, ...) specialise backward for their own f'. A
        # subclass of one that redefines derivative() but not backward() gets the generic
        # product again, so that backward() keeps agreeing with gradient().
        if "derivative" in cls.__dict__ and "backward" not in cls.__dict__:
            cls.backward = ElementwiseLayer.backward
            cls._backward = ElementwiseLayer._backward

    def forward(self, dataIn):
        """``f(dataIn)`` entry by entry: ``N x D`` in, ``N x D`` out. Raises ``ValueError``
        for an input that is not a 2-D numeric array with at least one row."""
        return self._forward(self._checked_input(dataIn))

    def _forward(self, X):
        self._prevIn = X
        self._prevOut = out = self._activate(X)
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
        n, width = d.shape
        jacobians = np.zeros((n, width, width), dtype=d.dtype)
        np.einsum("nii->ni", jacobians)[...] = d  # a writable view of every diagonal
        return jacobians

    def backward(self, gradIn):
        """``gradIn * f'(x)``: ``N x D`` in (shaped like the last output), ``N x D`` out.
        Raises ``ValueError`` before any ``forward`` or for a ``gradIn`` of another shape."""
        gradIn = self._checked_gradIn(gradIn)
        with ieee_arithmetic():  # inf * 0 is NaN, quietly (docs/reliability.md)
            return self._backward(gradIn)

    def _backward(self, gradIn):
        return gradIn * self.derivative()
