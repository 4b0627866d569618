"""The abstract base of every layer, and the checks its public methods run.

A layer writes its math once: ``forward`` computes from inputs that are already ``N x D``
float arrays, ``backward`` from a ``gradIn`` already shaped like the last output. The
decorators below give those methods the checks of a public entry, for whoever calls them
by hand: ``@checked_forward`` turns the arguments into ``N x D`` float arrays (or says, naming
the layer, why it cannot) and runs the layer's ``check_input`` hook; ``@checked_backward``
refuses a ``backward`` before any ``forward`` and a ``gradIn`` of another shape. Both then
compute in a quiet IEEE context (NaN and inf flow on without a ``RuntimeWarning``;
docs/reliability.md). The math itself stays reachable as the method's ``__wrapped__``: a
``Graph`` that has already checked a feed of the same shapes calls it directly.
"""
import functools
from abc import ABC, abstractmethod

import numpy as np

from .._validation import as_batch, ieee_quiet, is_batch, is_matrix, require_same_shape


def diagonal_jacobians(d):
    """``N x D x D`` holding, for each observation ``n``, the diagonal matrix ``diag(d[n])``
    (``d``: ``N x D``): the seed's ``gradient()`` of a layer that acts on each entry alone."""
    n, width = d.shape
    jacobians = np.zeros((n, width, width), dtype=d.dtype)
    np.einsum("nii->ni", jacobians)[...] = d  # a writable view of every diagonal
    return jacobians


def checked_forward(forward):
    """``forward`` (the math, ``forward(self, *arrays)``) behind the checks of its public
    entry: the right number of arrays, each an ``N x D`` float array (``as_matrix``), and
    the layer's ``check_input``; then the math, quietly. ``__wrapped__`` is the math."""
    quiet = ieee_quiet(forward)

    @functools.wraps(forward)
    def checked(self, *dataIn):
        n_inputs = self.n_inputs
        if len(dataIn) != n_inputs:
            if n_inputs == 1:
                raise TypeError(f"{self.describe()}: forward takes one input array, got {len(dataIn)}")
            raise ValueError(f"{self.describe()}: forward takes {n_inputs} arrays, got {len(dataIn)}")
        if n_inputs == 1:
            arrays = (self._checked_input(dataIn[0]),)
        else:
            arrays = tuple(self._checked_input(a, f"input {k}") for k, a in enumerate(dataIn))
        self.check_input(*arrays)
        return quiet(self, *arrays)
    checked.graphnn_checks = True  # what a Graph's fast path looks for before calling __wrapped__
    return checked


def checked_backward(backward):
    """``backward`` (or ``backward_parameters``: the math, ``backward(self, gradIn)``) behind
    the checks of its public entry: a ``forward`` ran, and ``gradIn`` is an array shaped like
    its output; then the math, quietly. ``__wrapped__`` is the math."""
    quiet = ieee_quiet(backward)

    @functools.wraps(backward)
    def checked(self, gradIn):
        return quiet(self, self._checked_gradIn(gradIn))
    checked.graphnn_checks = True
    return checked


class Layer(ABC):
    """A differentiable function of one ``N x D`` input (or of several, see ``n_inputs``).

    The contract every layer keeps (tests/test_layer_contract.py checks it for every layer):

    - ``forward(dataIn)``: ``N x D`` in, ``N x K`` out; remembers both for ``backward``.
    - ``gradient()``: the Jacobian of each observation's output with respect to its input,
      for the last ``forward``. Element-wise layers give an ``N x D x D`` tensor (diagonal
      per observation); the fully connected layer gives ``W^T`` (``K x D``), the same for
      every observation.
    - ``backward(gradIn)``: ``gradIn`` is ``dJ/dOutput`` per observation (``N x K``); returns
      ``dJ/dInput`` per observation (``N x D``), computed without the ``N x D x D`` tensor.
      Layers with parameters also *add* ``dJ/dparameter`` to each ``Parameter.grad``
      (see ``graphnn.parameter``; conventions in docs/conventions.md).
    - Layers with several inputs set ``n_inputs``, take them as ``forward(*inputs)`` and
      return a tuple with one gradient per input from ``backward``.

    A layer decorates its ``forward`` with ``@checked_forward`` and its ``backward`` (and
    ``backward_parameters``) with ``@checked_backward`` (above), and writes only the math.
    """

    #: how many input arrays ``forward`` takes
    n_inputs = 1

    #: the rank of each input ``forward`` takes, batch first: 2 for ``N x D`` (most layers),
    #: 4 for ``N x C x H x W`` images, ``None`` for any rank of at least 2 (element-wise layers)
    input_ndim = 2

    def __init__(self):
        self._prevIn = None
        self._prevOut = None

    # The course's accessors, kept for the seed's interface.
    def setPrevIn(self, dataIn):
        """Store ``dataIn`` as the last input (the seed's accessor; ``forward`` does this)."""
        self._prevIn = dataIn

    def getPrevIn(self):
        """The input of the last ``forward``: ``N x D`` (a list of arrays for several
        inputs), or ``None`` before the first."""
        return self._prevIn

    def setPrevOut(self, out):
        """Store ``out`` as the last output (the seed's accessor; ``forward`` does this)."""
        self._prevOut = out

    def getPrevOut(self):
        """The output of the last ``forward``, ``N x K``, or ``None`` before the first."""
        return self._prevOut

    @abstractmethod
    def forward(self, dataIn):
        """The layer's output for ``dataIn``: ``N x D`` in, ``N x K`` out (layers with
        ``n_inputs > 1`` take one array per input). Remembers both for ``backward``.

        Raises ``ValueError``, naming the layer and the shape, for an input that is not a
        2-D numeric array with at least one row (or not as wide as the layer expects).
        """

    @abstractmethod
    def gradient(self):
        """The Jacobian of each observation's output with respect to its input, at the last
        ``forward``: ``N x K x D`` (``N x D x D`` for the element-wise layers and softmax),
        or ``K x D`` (``W^T``) for the fully connected layer, whose Jacobian is the same for
        every observation; ``ConcatLayer`` gives a tuple, one ``N x K x D_i`` per input.
        Raises ``ValueError`` when there was no ``forward`` yet."""

    @abstractmethod
    def backward(self, gradIn):
        """``gradIn``, ``N x K``: the gradient with respect to the last output, per
        observation -> ``N x D``, the gradient with respect to the input (a tuple, one per
        input, for layers with several). Layers with parameters also add their gradients to
        ``Parameter.grad``. Raises ``ValueError`` before any ``forward``, or when ``gradIn`` is
        not shaped like the last output."""

    def backward_parameters(self, gradIn):
        """Only the parameter part of ``backward``: add ``dJ/dparameter`` to each
        ``Parameter.grad`` without computing the gradient for the input, for a ``Graph`` whose
        input needs none (data). ``gradIn`` is ``N x K``, as for ``backward``. This default runs
        ``backward`` and drops its result (returning ``None``); layers whose input gradient
        costs real work override it."""
        self.backward(gradIn)

    def check_input(self, *inputs):
        """Raise a ``ValueError``, naming the layer and the shapes, for inputs (already ``N x D``
        float arrays) this layer cannot take, e.g. of the wrong width. ``@checked_forward``
        calls it before the math; the default accepts everything."""

    def parameters(self):
        """The layer's trainable ``Parameter`` objects, as a tuple (empty for most layers)."""
        return ()

    def zero_grad(self):
        """Reset the accumulated gradient of every parameter to zero."""
        for parameter in self.parameters():
            parameter.zero_grad()

    def describe(self):
        """A short description used in messages and diagrams, e.g. ``'FullyConnectedLayer 16->1'``."""
        return type(self).__name__

    def __repr__(self):
        return f"<{self.describe()}>"

    # Helpers for subclasses: every check names this layer and the shapes.
    def _checked_input(self, dataIn, what="input"):
        ndim = self.input_ndim
        if is_matrix(dataIn) if ndim == 2 else is_batch(dataIn, ndim):
            return dataIn  # the hot path: no description string to build
        return as_batch(dataIn, self.describe(), what, ndim)

    def _checked_gradIn(self, gradIn):
        """``gradIn`` as an array shaped like the last output; complains if there was none."""
        out = self._prevOut
        if out is None:
            raise ValueError(f"{self.describe()}: backward called before forward")
        if not is_batch(gradIn, out.ndim):
            gradIn = as_batch(gradIn, self.describe(), "gradIn", out.ndim)
        if gradIn.shape != out.shape:
            require_same_shape(gradIn, out.shape, self.describe(), "gradIn (shaped like the output)")
        return gradIn

    def _require_forward(self):
        if self._prevOut is None:
            raise ValueError(f"{self.describe()}: gradient called before forward")
