"""``wrap``: a layer or objective written by someone else, as a node of a ``Graph``.

``Graph.add`` takes ``graphnn.Layer`` and ``graphnn.Objective`` objects. A student's class in
the seed's style (``forward``/``gradient``/``backward``, or ``eval``/``gradient``) inherits
from neither; ``wrap(obj)`` returns an adapter that is one and hands every call to ``obj``.

Parameters in the seed's style are exposed too: when ``obj`` keeps weights and biases (behind
``getWeights``/``setWeights`` and ``getBiases``/``setBiases``, or in attributes such as
``self.weights``, ``self.W``, ``self.b``; see ``student.student_parameters``) and has an
``updateWeights`` it can be called with (``(gradIn, eta)`` or ``(eta)``), the adapter's
``parameters()`` holds *copies* of them as ``graphnn.Parameter`` objects, so optimizers,
``save_parameters`` and the diagrams see them. Their gradients are what ``updateWeights``
would apply: after ``backward`` the adapter calls it with ``eta = 1``, takes the change as the
gradient and writes the old values back into the student's own arrays
(``student.parameter_gradients``), so an update in place changes nothing. No array is shared:
a new value set on a ``Parameter`` (by an optimizer or ``load_parameters``) is copied to the
student's object before the next ``forward``, and a change the student's object makes itself
is copied back. Without an ``updateWeights`` to read gradients from, the adapter has no
parameters (``parameter_note`` says why). An object with a ``parameters()`` method of its own
(graphnn's style) keeps it.

>>> import numpy as np, graphnn as gn
>>> class Doubler:                      # inherits nothing from graphnn
...     def forward(self, X): return 2 * X
...     def gradient(self): return np.array([[2.0]])
...     def backward(self, gradIn): return 2 * gradIn
>>> g = gn.Graph.sequential(gn.wrap(Doubler()), objective=gn.SquaredError())
>>> g.forward(X=np.array([[1.0], [2.0]]), Y=np.zeros((2, 1)))
10.0
"""
import re

import numpy as np

from .._validation import as_matrix, describe_shape
from ..layers.Layer import Layer
from ..objectives.Objective import Objective
from ..parameter import Parameter
from .student import is_layer, is_objective, parameter_gradients, student_parameters, update_style

__all__ = ["wrap", "WrappedLayer", "WrappedObjective", "seed_style_parameters", "node_stem"]


def seed_style_parameters(obj):
    """``[(name, get, set)]`` for each parameter ``obj`` keeps in the seed's style (accessor
    pairs or attributes, see ``student.student_parameters``): ``get()`` returns a float64 copy,
    ``set(value)`` writes a copy of ``value`` back. Empty when it has none."""
    return [(p.name, p.get, p.put) for p in student_parameters(obj)]


class WrappedLayer(Layer):
    """A ``graphnn.Layer`` that hands ``forward``, ``gradient`` and ``backward`` to the object
    it wraps (``wrapped``), which keeps the seed's interface. ``n_inputs`` is the object's
    (1 when it has none). See the module's docstring for parameters."""

    def __init__(self, wrapped, parameter_gradients="mean"):
        super().__init__()
        if parameter_gradients not in ("mean", "sum"):
            raise ValueError(f"wrap: parameter_gradients is 'mean' or 'sum', not {parameter_gradients!r}")
        self.wrapped = wrapped
        #: what the object's ``updateWeights`` applies: the gradient of the ``'mean'`` over the
        #: observations (graphnn's convention) or of their ``'sum'`` (divided by ``N`` here)
        self.parameter_convention = parameter_gradients
        self.n_inputs = int(getattr(wrapped, "n_inputs", 1))
        self.short_name = node_stem(type(wrapped).__name__.lower().replace("layer", ""))
        own = getattr(wrapped, "parameters", None)
        self._own_parameters = callable(own)
        found = [] if self._own_parameters else student_parameters(wrapped)
        style = update_style(wrapped)
        if found and style not in ("gradIn, eta", "eta"):
            #: why a layer with weights exposes no parameters (``''`` when it does, or has none)
            self.parameter_note = (f"{type(wrapped).__name__} has weights but no updateWeights to read their "
                                   f"gradients from ({style or 'none'}): they are not exposed as parameters")
            found = []
        else:
            self.parameter_note = ""
        self._student = found
        self._parameters = tuple(Parameter(p.get(), p.name) for p in found)
        self._pushed = [parameter.value.copy() for parameter in self._parameters]

    def _synchronise(self):
        """Copy each parameter the optimizer changed to the student's object, and each value
        the student's object changed (its own ``updateWeights``) to the parameter."""
        for i, (parameter, student) in enumerate(zip(self._parameters, self._student)):
            if not np.array_equal(parameter.value, self._pushed[i]):
                student.put(parameter.value)
            else:
                theirs = student.get()
                if theirs.shape == parameter.value.shape and not np.array_equal(theirs, parameter.value):
                    parameter.value[...] = theirs
            self._pushed[i] = parameter.value.copy()

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
        optimizer or ``load_parameters``) are copied to the object first (never shared)."""
        self._synchronise()
        out = as_matrix(self.wrapped.forward(*dataIn), self.describe(), "the output of forward")
        self._prevIn = dataIn[0] if len(dataIn) == 1 else list(dataIn)
        self._prevOut = out
        return out

    def gradient(self):
        """The wrapped ``gradient()``."""
        return self.wrapped.gradient()

    def backward(self, gradIn):
        """The wrapped ``backward(gradIn)``; seed-style parameters also receive the gradients
        that the object's ``updateWeights`` would apply (``parameter_gradients``)."""
        result = self._checked_gradients(self.wrapped.backward(gradIn))
        if self._parameters:
            gradients = parameter_gradients(self.wrapped, gradIn, self._student) or {}
            scale = 1.0 / np.shape(gradIn)[0] if self.parameter_convention == "sum" else 1.0
            for parameter in self._parameters:
                if parameter.name in gradients:
                    parameter.accumulate(scale * np.reshape(gradients[parameter.name], parameter.shape))
        return result


    def _checked_gradients(self, result):
        """What the object's ``backward`` returned, as one ``N x D`` array per input, each shaped
        like that input: a ``ValueError`` naming the class otherwise, here rather than in the
        node that reads it next."""
        inputs = [self._prevIn] if self.n_inputs == 1 else list(self._prevIn)
        results = [result] if self.n_inputs == 1 else list(result)
        if len(results) != len(inputs):
            raise ValueError(f"{self.describe()}: backward returned {len(results)} gradients for "
                             f"{len(inputs)} inputs")
        checked = []
        for slot, (grad, x) in enumerate(zip(results, inputs)):
            what = "backward's result" + (f" for input {slot}" if self.n_inputs > 1 else "")
            grad = as_matrix(grad, self.describe(), what)
            if grad.shape != np.shape(x):
                raise ValueError(
                    f"{self.describe()}: {what} is {describe_shape(grad.shape)}, but the input it is the "
                    f"gradient of was {describe_shape(np.shape(x))}: backward must return dJ/dInput, "
                    "shaped like the input")
            checked.append(grad)
        return checked[0] if self.n_inputs == 1 else tuple(checked)


def node_stem(name):
    """A class name made into the stem of generated node names (``relu`` for ``ReLULayer``):
    letters, digits and ``_`` of the ASCII alphabet, starting with a letter (``wrapped`` when
    nothing is left), so that ``Graph.add`` accepts ``stem1``, ``stem2``, ...

    >>> node_stem("sigmoïde"), node_stem("3d"), node_stem("")
    ('sigmo_de', 'n3d', 'wrapped')
    """
    stem = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not stem.strip("_"):
        return "wrapped"
    return stem if stem[0].isalpha() else f"n{stem}"


class WrappedObjective(Objective):
    """A ``graphnn.Objective`` that hands ``eval`` (made a Python ``float``) and ``gradient``
    to the object it wraps (``wrapped``)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.short_name = node_stem(type(wrapped).__name__)

    def describe(self):
        """The wrapped object's class name."""
        return type(self.wrapped).__name__

    def eval(self, Y, Yhat):
        """``float(wrapped.eval(Y, Yhat))``; a ``ValueError`` naming the class when it is not one
        number (one loss per row, say: ``J`` is their mean)."""
        value = self.wrapped.eval(Y, Yhat)
        if np.size(value) != 1:
            raise ValueError(
                f"{self.describe()}: eval returned {np.size(value)} values (shape {np.shape(value)}), not "
                "one number: J is the mean of the losses over the observations (np.mean of them)")
        try:
            return float(np.reshape(value, ()))
        except (TypeError, ValueError):
            raise ValueError(f"{self.describe()}: eval returned {value!r}, not a number") from None

    def gradient(self, Y, Yhat):
        """``wrapped.gradient(Y, Yhat)``, which must be shaped like ``Yhat``: a ``ValueError``
        naming the class otherwise."""
        grad = as_matrix(self.wrapped.gradient(Y, Yhat), self.describe(), "the result of gradient")
        if grad.shape != np.shape(Yhat):
            raise ValueError(f"{self.describe()}: gradient returned {describe_shape(grad.shape)}, but Yhat is "
                             f"{describe_shape(np.shape(Yhat))}: it must be dJ/dYhat, shaped like Yhat")
        return grad


def wrap(obj, parameter_gradients="mean"):
    """``obj`` as a node ``Graph.add`` accepts: itself when it already is a ``graphnn.Layer``
    or ``Objective``; a ``WrappedObjective`` when it has an objective's interface (``eval`` and
    a ``gradient(Y, Yhat)``, whatever it inherits: an objective subclassing the student's own
    ``Layer`` is an objective); a ``WrappedLayer`` when it has ``forward`` and ``backward``.
    Anything else is a ``TypeError`` saying which methods are missing. Pass an instance, not a
    class. ``parameter_gradients``: ``'sum'`` for a layer whose ``updateWeights`` applies the
    gradient of the sum over the observations (``check_layer`` reports which one a class
    follows); graphnn's parameters hold that of the mean."""
    if isinstance(obj, (Layer, Objective)):
        return obj
    if isinstance(obj, type):
        raise TypeError(f"wrap: pass an instance ({obj.__name__}()), not the class {obj.__name__}")
    if is_objective(obj):
        return WrappedObjective(obj)
    if is_layer(obj):
        return WrappedLayer(obj, parameter_gradients)
    raise TypeError(
        f"wrap: {type(obj).__name__} has neither a layer's interface (forward, gradient, "
        "backward) nor an objective's (eval, gradient(Y, Yhat))"
    )
