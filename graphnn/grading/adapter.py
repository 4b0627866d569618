"""``wrap``: a layer or objective written by someone else, as a node of a ``Graph``.

``Graph.add`` takes ``graphnn.Layer`` and ``graphnn.Objective`` objects. A student's class in
the seed's style (``forward``/``gradient``/``backward``, or ``eval``/``gradient``) inherits
from neither; ``wrap(obj)`` returns an adapter that is one and hands every call to ``obj``.

Parameters in the seed's style are exposed too: when ``obj`` has ``getWeights``/``setWeights``
(and ``getBiases``/``setBiases``), the adapter's ``parameters()`` holds them as
``graphnn.Parameter`` objects, so optimizers, ``save_parameters`` and the diagrams see them.
Their gradients are read from the student's ``updateWeights(gradIn, eta)`` (the course's way
of applying them): after ``backward`` the adapter calls it with ``eta = 1``, takes the change
as the gradient and puts the old values back (``parameter_gradients``). An object with a
``parameters()`` method of its own (graphnn's style) keeps it.

>>> import numpy as np, graphnn as gn
>>> class Doubler:                      # inherits nothing from graphnn
...     def forward(self, X): return 2 * X
...     def gradient(self): return np.array([[2.0]])
...     def backward(self, gradIn): return 2 * gradIn
>>> g = gn.Graph.sequential(gn.wrap(Doubler()), objective=gn.SquaredError())
>>> g.forward(X=np.array([[1.0], [2.0]]), Y=np.zeros((2, 1)))
10.0
"""
import numpy as np

from ..layers.Layer import Layer
from ..objectives.Objective import Objective
from ..parameter import Parameter

__all__ = ["wrap", "WrappedLayer", "WrappedObjective", "seed_style_parameters", "parameter_gradients"]

#: the seed's accessor pairs, by the name the parameter gets
_ACCESSORS = (("weights", "getWeights", "setWeights"), ("biases", "getBiases", "setBiases"))


def seed_style_parameters(obj):
    """``[(name, get, set)]`` for each accessor pair ``obj`` has (``getWeights``/``setWeights``,
    ``getBiases``/``setBiases``), as bound methods; empty when it has none."""
    return [
        (name, getattr(obj, getter), getattr(obj, setter))
        for name, getter, setter in _ACCESSORS
        if callable(getattr(obj, getter, None)) and callable(getattr(obj, setter, None))
    ]


def parameter_gradients(obj, gradIn):
    """The gradients ``obj.updateWeights(gradIn, eta)`` would apply, without applying them:
    ``{name: array shaped like the parameter}``, or ``None`` when ``obj`` has no
    ``updateWeights`` or no seed-style accessors. Call it after ``forward`` (and ``backward``)
    with the same ``gradIn`` (``N x K``): it runs ``updateWeights(gradIn, 1.0)``, reads what
    changed (``old - new``, the gradient of a step ``W -= eta * dW``) and restores the old
    values with the setters."""
    accessors = seed_style_parameters(obj)
    update = getattr(obj, "updateWeights", None)
    if not accessors or not callable(update):
        return None
    before = {name: np.array(get(), dtype=float, copy=True) for name, get, _ in accessors}
    try:
        update(gradIn, 1.0)
        return {name: before[name] - np.asarray(get(), dtype=float) for name, get, _ in accessors}
    finally:
        for name, _, set_ in accessors:
            set_(before[name].copy())


class WrappedLayer(Layer):
    """A ``graphnn.Layer`` that hands ``forward``, ``gradient`` and ``backward`` to the object
    it wraps (``wrapped``), which keeps the seed's interface. ``n_inputs`` is the object's
    (1 when it has none). See the module's docstring for parameters."""

    def __init__(self, wrapped):
        super().__init__()
        self.wrapped = wrapped
        self.n_inputs = int(getattr(wrapped, "n_inputs", 1))
        self.short_name = type(wrapped).__name__.lower().replace("layer", "") or "wrapped"
        own = getattr(wrapped, "parameters", None)
        self._own_parameters = callable(own)
        self._accessors = [] if self._own_parameters else seed_style_parameters(wrapped)
        self._parameters = tuple(
            Parameter(np.asarray(get()), name) for name, get, _ in self._accessors
        )

    def describe(self):
        """The wrapped object's ``describe()`` if it has one, else its class name."""
        describe = getattr(self.wrapped, "describe", None)
        return str(describe()) if callable(describe) else type(self.wrapped).__name__

    def parameters(self):
        """The wrapped object's own ``parameters()``, or its seed-style weights and biases as
        ``Parameter`` objects (empty when it has neither)."""
        return tuple(self.wrapped.parameters()) if self._own_parameters else self._parameters

    def forward(self, *dataIn):
        """The wrapped ``forward(*dataIn)``; parameters changed through ``Parameter.value`` (by an
        optimizer or ``load_parameters``) are handed to the object's setters first."""
        for parameter, (_, get, set_) in zip(self._parameters, self._accessors):
            if get() is not parameter.value:
                set_(parameter.value)
        out = self.wrapped.forward(*dataIn)
        self._prevIn = dataIn[0] if len(dataIn) == 1 else list(dataIn)
        self._prevOut = out
        return out

    def gradient(self):
        """The wrapped ``gradient()``."""
        return self.wrapped.gradient()

    def backward(self, gradIn):
        """The wrapped ``backward(gradIn)``; seed-style parameters also receive the gradients
        that the object's ``updateWeights`` would apply (``parameter_gradients``)."""
        result = self.wrapped.backward(gradIn)
        if self._parameters:
            gradients = parameter_gradients(self.wrapped, gradIn) or {}
            for parameter in self._parameters:
                if parameter.name in gradients:
                    parameter.accumulate(gradients[parameter.name])
        return result


class WrappedObjective(Objective):
    """A ``graphnn.Objective`` that hands ``eval`` (made a Python ``float``) and ``gradient``
    to the object it wraps (``wrapped``)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.short_name = type(wrapped).__name__.lower() or "wrapped"

    def describe(self):
        """The wrapped object's class name."""
        return type(self.wrapped).__name__

    def eval(self, Y, Yhat):
        """``float(wrapped.eval(Y, Yhat))``."""
        return float(self.wrapped.eval(Y, Yhat))

    def gradient(self, Y, Yhat):
        """``wrapped.gradient(Y, Yhat)``."""
        return self.wrapped.gradient(Y, Yhat)


def wrap(obj):
    """``obj`` as a node ``Graph.add`` accepts: itself when it already is a ``graphnn.Layer``
    or ``Objective``; a ``WrappedLayer`` when it has ``forward`` and ``backward``; a
    ``WrappedObjective`` when it has ``eval`` and ``gradient``. Anything else is a
    ``TypeError`` saying which methods are missing. Pass an instance, not a class."""
    if isinstance(obj, (Layer, Objective)):
        return obj
    if isinstance(obj, type):
        raise TypeError(f"wrap: pass an instance ({obj.__name__}()), not the class {obj.__name__}")
    if callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None)):
        return WrappedLayer(obj)
    if callable(getattr(obj, "eval", None)) and callable(getattr(obj, "gradient", None)):
        return WrappedObjective(obj)
    raise TypeError(
        f"wrap: {type(obj).__name__} has neither a layer's interface (forward, gradient, "
        "backward) nor an objective's (eval, gradient)"
    )
