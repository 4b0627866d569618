"""The abstract base of every layer."""
from abc import ABC, abstractmethod

from .._validation import as_matrix, is_matrix, require_same_shape


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
    """

    #: how many input arrays ``forward`` takes
    n_inputs = 1

    def __init__(self):
        self._prevIn = None
        self._prevOut = None

    # The course's accessors, kept for the seed's interface.
    def setPrevIn(self, dataIn):
        self._prevIn = dataIn

    def getPrevIn(self):
        return self._prevIn

    def setPrevOut(self, out):
        self._prevOut = out

    def getPrevOut(self):
        return self._prevOut

    @abstractmethod
    def forward(self, dataIn):
        """``N x D`` input -> ``N x K`` output."""

    @abstractmethod
    def gradient(self):
        """Jacobian of the last forward pass (see the class docstring for its shape)."""

    @abstractmethod
    def backward(self, gradIn):
        """``N x K`` gradient of the objective w.r.t. the output -> ``N x D`` w.r.t. the input."""

    def backward_parameters(self, gradIn):
        """Only the parameter part of ``backward``: add ``dJ/dparameter`` to each
        ``Parameter.grad`` without computing the gradient for the input, for a ``Graph`` whose
        input needs none (data). This default runs ``backward`` and drops its result; layers
        whose input gradient costs real work override it."""
        self.backward(gradIn)

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
        if is_matrix(dataIn):
            return dataIn  # the hot path: no description string to build
        return as_matrix(dataIn, self.describe(), what)

    def _checked_gradIn(self, gradIn):
        """``gradIn`` as an array shaped like the last output; complains if there was none."""
        out = self._prevOut
        if out is None:
            raise ValueError(f"{self.describe()}: backward called before forward")
        if not is_matrix(gradIn):
            gradIn = as_matrix(gradIn, self.describe(), "gradIn")
        if gradIn.shape != out.shape:
            require_same_shape(gradIn, out.shape, self.describe(), "gradIn (shaped like the output)")
        return gradIn

    def _require_forward(self):
        if self._prevOut is None:
            raise ValueError(f"{self.describe()}: gradient called before forward")
