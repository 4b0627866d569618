"""Trainable parameters: a value and the gradient of the objective with respect to it."""
import numpy as np


class Parameter:
    """A trainable array owned by a layer, with its accumulated gradient.

    ``value`` is the array itself; ``grad`` has the same shape and holds ``dJ/dvalue``, where
    ``J`` is the objective (a mean over observations). Layers *add* to ``grad`` in their
    ``backward``, so that a parameter shared by two layers (weight tying) receives the sum;
    whoever drives the pass (a ``Graph``, or you by hand) calls ``zero_grad`` first.
    """

    __slots__ = ("name", "value", "grad")

    def __init__(self, value, name="param"):
        self.name = name
        self.value = value
        self.grad = np.zeros_like(value)

    @property
    def shape(self):
        return self.value.shape

    @property
    def size(self):
        return self.value.size

    def zero_grad(self):
        self.grad[...] = 0

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"
