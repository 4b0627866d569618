"""The affine layer ``y = x W + b``."""

import numpy as np

from .._validation import as_matrix, integer_at_least, random_generator, require_finite, require_same_shape, require_width
from ..parameter import Parameter
from .Layer import Layer, checked_backward, checked_forward

INIT_SCALE = 1e-4  # the seed's initialisation: uniform in [-1e-4, 1e-4]
#: what one numpy call costs beyond its arithmetic, counted in array entries (about 1 µs)
ONE_OPERATION = 2048


class FullyConnectedLayer(Layer):
    """``y = x W + b``. Input ``N x sizeIn``, output ``N x sizeOut``.

    ``W`` is ``sizeIn x sizeOut`` and ``b`` is ``1 x sizeOut``, both drawn uniformly in
    ``[-1e-4, 1e-4]`` from a numpy ``Generator``: pass ``seed`` for a reproducible draw, or
    your own ``rng``. ``dtype`` (float64 by default) is the dtype of the parameters.
    A ``ValueError`` says so when ``sizeIn`` or ``sizeOut`` is not a positive integer,
    ``dtype`` is not a floating type, ``seed`` is not an integer ``>= 0``, ``rng`` is not a numpy
    ``Generator`` (or ``RandomState``), or both ``seed`` and ``rng`` are given.

    ``gradient()`` is ``W^T`` (``sizeOut x sizeIn``), the Jacobian of every observation.
    ``backward(G)`` returns ``G W^T`` (``N x sizeIn``) and adds the gradients of the mean
    objective to the parameters: ``dW = X^T G / N`` and ``db`` = the column mean of ``G``.

    >>> fc = FullyConnectedLayer(3, 2, seed=0)
    >>> fc.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    short_name = "fc"  # node names in a Graph: fc1, fc2, ...

    def __init__(self, sizeIn, sizeOut, seed=None, rng=None, dtype=np.float64):
        super().__init__()
        self.sizeIn = integer_at_least(sizeIn, 1, "FullyConnectedLayer", "sizeIn")
        self.sizeOut = integer_at_least(sizeOut, 1, "FullyConnectedLayer", "sizeOut")
        rng = random_generator(seed, rng, "FullyConnectedLayer")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"FullyConnectedLayer: dtype must be a floating type, got {dtype}")
        self.weights = Parameter(
            rng.uniform(-INIT_SCALE, INIT_SCALE, (self.sizeIn, self.sizeOut)).astype(dtype), "weights"
        )
        self.biases = Parameter(
            rng.uniform(-INIT_SCALE, INIT_SCALE, (1, self.sizeOut)).astype(dtype), "biases"
        )

    def describe(self):
        """``'FullyConnectedLayer sizeIn->sizeOut'``, e.g. ``'FullyConnectedLayer 16->1'``."""
        return f"FullyConnectedLayer {self.sizeIn}->{self.sizeOut}"

    def parameters(self):
        """``(weights, biases)``: the two ``Parameter`` objects, ``sizeIn x sizeOut`` and
        ``1 x sizeOut``."""
        return (self.weights, self.biases)

    def zero_grad(self):
        """Reset the gradients of ``weights`` and ``biases`` to zero."""
        self.weights.zero_grad()  # the two parameters by name: a Graph calls this every pass
        self.biases.zero_grad()

    def getWeights(self):
        """``W``, ``sizeIn x sizeOut``: the parameter's array itself, not a copy."""
        return self.weights.value

    def setWeights(self, weights):
        """Replace ``W`` by a copy of ``weights`` (``sizeIn x sizeOut``), in the parameters'
        dtype. Raises ``ValueError`` for another shape or for NaN or inf entries."""
        self.weights.value = self._checked_parameter(weights, self.weights, "weights")

    def getBiases(self):
        """``b``, ``1 x sizeOut``: the parameter's array itself, not a copy."""
        return self.biases.value

    def setBiases(self, biases):
        """Replace ``b`` by a copy of ``biases`` (``1 x sizeOut``), in the parameters' dtype.
        Raises ``ValueError`` for another shape or for NaN or inf entries."""
        self.biases.value = self._checked_parameter(biases, self.biases, "biases")

    def _checked_parameter(self, value, parameter, what):
        array = as_matrix(value, self.describe(), what)
        require_same_shape(array, parameter.shape, self.describe(), what)
        require_finite(array, self.describe(), what)
        return array.astype(parameter.value.dtype)  # a copy: the caller's array stays theirs

    def check_input(self, X):
        """Refuse an input without ``sizeIn`` columns."""
        if X.shape[1] != self.sizeIn:
            require_width(X, self.sizeIn, self.describe())

    @checked_forward
    def forward(self, dataIn):
        """``X W + b``: ``N x sizeIn`` in, ``N x sizeOut`` out. Raises ``ValueError`` for an
        input that is not a 2-D numeric array with ``sizeIn`` columns."""
        self._prevIn = dataIn
        out = dataIn @ self.weights.value
        out += self.biases.value  # in place: no second N x sizeOut array
        self._prevOut = out
        return out

    def gradient(self):
        """``W^T``, ``sizeOut x sizeIn``: the Jacobian of each observation's output."""
        return self.weights.value.T

    @checked_backward
    def backward(self, gradIn):
        """``G W^T`` for ``G = gradIn`` (``N x sizeOut``): ``N x sizeIn``. Also adds
        ``dW = X^T G / N`` and ``db = mean_n G[n]`` to the parameters' gradients (see
        ``backward_parameters``)."""
        _add_parameter_gradients(self._prevIn, gradIn, self.weights, self.biases)
        return gradIn @ self.weights.value.T

    @checked_backward
    def backward_parameters(self, gradIn):
        """Add ``dW = X^T G / N`` (``sizeIn x sizeOut``) and ``db = mean(G)`` (the column mean,
        ``1 x sizeOut``) to the parameters' gradients, for ``G = gradIn`` (``N x sizeOut``),
        without the input gradient ``G W^T`` (a ``Graph`` skips it when the input is data).
        Returns the checked ``G``. Raises ``ValueError`` before any ``forward`` or for a
        ``gradIn`` not shaped like the last output."""
        _add_parameter_gradients(self._prevIn, gradIn, self.weights, self.biases)
        return gradIn


def _add_parameter_gradients(X, G, weights, biases):
    """The parameter part of the layer's backward (``X`` its last input, ``G`` the gradient of
    its output), written once for both of its entries."""
    n, size_in = X.shape
    size_out = G.shape[1]
    # The 1/N goes wherever it costs less: on G (N x sizeOut, one operation, its result
    # shared by both gradients), or on the two results (sizeIn x sizeOut and 1 x sizeOut,
    # two operations, each costing about ONE_OPERATION entries more in calls alone).
    if n * size_out <= (size_in + 1) * size_out + ONE_OPERATION:
        G_mean = G * (1.0 / n)
        grad_weights = X.T @ G_mean
        grad_biases = np.add.reduce(G_mean, axis=0, keepdims=True)
    else:
        grad_weights = X.T @ G
        grad_weights *= 1.0 / n
        grad_biases = np.add.reduce(G, axis=0, keepdims=True)
        grad_biases *= 1.0 / n  # the column mean of G
    weights.accumulate(grad_weights)
    biases.accumulate(grad_biases)
