"""Trainable parameters: a value and the gradient of the objective with respect to it."""
import numpy as np


class Parameter:
    """A trainable array owned by a layer, with its accumulated gradient.

    ``value`` is the array itself; ``grad`` has the same shape and dtype and holds
    ``dJ/dvalue``, where ``J`` is the objective (a mean over observations). Layers *add* to the
    gradient in their ``backward`` (``accumulate``), so that a parameter shared by two layers
    (weight tying) receives the sum; whoever drives the pass (a ``Graph``, or you by hand) calls
    ``zero_grad`` first.

    ``value``: the array (a layer's weights are ``sizeIn x sizeOut``, its biases
    ``1 x sizeOut``); ``name``: a short name used in messages and in saved files.

    >>> p = Parameter(np.zeros((1, 2)), "biases")
    >>> p.accumulate(np.array([[1.0, 2.0]])); p.accumulate(np.array([[1.0, 2.0]]))
    >>> p.grad
    array([[2., 4.]])
    >>> np.asarray(p) is p.value  # works where numpy expects an array
    True
    """

    __slots__ = ("name", "value", "_grad")

    def __init__(self, value, name="param"):
        self.name = name
        self.value = value
        self._grad = None  # None stands for zeros, made only when someone reads them

    @property
    def grad(self):
        """``dJ/dvalue``, an array shaped like ``value`` (zeros until something accumulates;
        assignable)."""
        if self._grad is None:
            self._grad = np.zeros_like(self.value)
        return self._grad

    @grad.setter
    def grad(self, grad):
        self._grad = grad

    @property
    def shape(self):
        """The shape of ``value``, e.g. ``(sizeIn, sizeOut)`` for a layer's weights."""
        return self.value.shape

    @property
    def size(self):
        """The number of entries in ``value``, an ``int``."""
        return self.value.size

    def zero_grad(self):
        """Reset the gradient to zero (the zeros are made only when ``grad`` is next read)."""
        self._grad = None

    def accumulate(self, grad):
        """Add ``grad`` (an array shaped like ``value``; converted to its dtype) to the
        gradient. After ``zero_grad`` the array itself is kept, not copied (so the caller
        hands over a fresh array it will not change)."""
        if grad.dtype != self.value.dtype:
            grad = grad.astype(self.value.dtype)
        if self._grad is None:
            self._grad = grad
        else:
            self._grad += grad

    def __array__(self, dtype=None, copy=None):
        """The value as a numpy array, so that ``np.asarray(layer.weights)``, ``W @ x`` via
        ``np.dot(layer.weights, x)`` and other numpy calls work as on a plain array (as code
        written for plain-array weights expects). ``copy`` follows numpy 2's protocol:
        ``None`` copies only if ``dtype`` asks for a conversion, ``True`` always copies,
        ``False`` never does (``ValueError`` if the conversion would need a copy)."""
        value = self.value
        if dtype is None or np.dtype(dtype) == value.dtype:
            return value.copy() if copy else value
        if copy is False:
            raise ValueError(
                f"Parameter {self.name!r}: cannot give a {np.dtype(dtype)} view of a "
                f"{value.dtype} value without a copy (copy=False was asked)"
            )
        return value.astype(dtype)

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"
