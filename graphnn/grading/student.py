"""Reading a student's class as students write it: its weights, its ``updateWeights``, how to
build it, and whether it is a layer or an objective.

Students keep their weights behind ``getWeights``/``setWeights`` (the seed's accessors) or in
an attribute (``self.weights``, ``self.W``; ``self.biases``, ``self.b``), stored ``D x K``
(``X W + b``) or ``K x D`` (``X W^T + b``); they apply gradients with ``updateWeights(gradIn,
eta)``, ``updateWeights(eta)`` (the gradient kept by ``backward``) or not at all, in place
(``self.weights -= eta * dW``) or not. Everything here copies: the student's arrays are read
and put back, never shared.
"""
import inspect

import numpy as np

__all__ = ["StudentParameter", "student_parameters", "parameter_gradients", "update_style",
           "is_objective", "is_layer", "build", "DEFAULT_SIZE_IN", "DEFAULT_SIZE_OUT"]

#: ``sizeIn`` given to a class whose constructor asks for one (a fully connected layer)
DEFAULT_SIZE_IN = 4
#: ``sizeOut`` given to a class whose constructor asks for one
DEFAULT_SIZE_OUT = 3

_ACCESSORS = (("weights", "getWeights", "setWeights"), ("biases", "getBiases", "setBiases"))
_ATTRIBUTES = (("weights", ("weights", "W", "w", "weight")), ("biases", ("biases", "b", "bias")))
_RATE_NAMES = ("eta", "lr", "learningrate", "rate", "alpha", "step", "stepsize")


class StudentParameter:
    """One of a student's parameters: ``name`` (``'weights'`` or ``'biases'``), ``where`` (how it
    is reached: ``'getWeights/setWeights'`` or ``'attribute W'``); ``get()`` returns a float64
    copy; ``put(value)`` writes ``value`` back, into the student's own array when it has the
    shape (so that an array the student holds elsewhere stays the one in use), else through
    the setter or attribute."""

    def __init__(self, obj, name, where, getter, setter):
        self.obj, self.name, self.where = obj, name, where
        self._getter, self._setter = getter, setter

    def raw(self):
        """The student's own array (or whatever it holds), not a copy."""
        return self._getter()

    def get(self):
        """A float64 copy of the value."""
        return np.array(self._getter(), dtype=float, copy=True)

    def put(self, value):
        """Write a copy of ``value`` back: in place into the student's array when it is a float
        array of the same shape, else with the setter (or by assigning the attribute)."""
        value = np.array(value, dtype=float, copy=True)
        current = self._getter()
        if isinstance(current, np.ndarray) and current.shape == value.shape and current.flags.writeable \
                and current.dtype == np.float64:
            current[...] = value
        else:
            self._setter(value)


def student_parameters(obj):
    """``[StudentParameter]`` for the weights and biases ``obj`` has: through the seed's
    accessor pairs first, else through an attribute holding a 2-D (weights) or 1-D/2-D
    (biases) array. Empty when it has none."""
    found = []
    for name, getter, setter in _ACCESSORS:
        get, set_ = getattr(obj, getter, None), getattr(obj, setter, None)
        if callable(get) and callable(set_):
            found.append(StudentParameter(obj, name, f"{getter}/{setter}", get, set_))
    names = {p.name for p in found}
    for name, attributes in _ATTRIBUTES:
        if name in names:
            continue
        for attribute in attributes:
            value = getattr(obj, attribute, None)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and 1 <= value.ndim <= 2 \
                    and (name == "biases" or value.ndim == 2):
                found.append(StudentParameter(
                    obj, name, f"attribute {attribute}", lambda a=attribute: getattr(obj, a),
                    lambda v, a=attribute: setattr(obj, a, v)))
                break
    return found


def update_style(obj):
    """How ``obj.updateWeights`` is called: ``'gradIn, eta'``, ``'eta'`` (it uses what
    ``backward`` kept), ``None`` when there is no ``updateWeights``, or a sentence saying why
    it cannot be called (it needs more arguments)."""
    update = getattr(obj, "updateWeights", None)
    if not callable(update):
        return None
    try:
        parameters = [p for p in inspect.signature(update).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return "gradIn, eta"
    required = [p for p in parameters if p.default is p.empty]
    rate = [p.name.lower().replace("_", "") in _RATE_NAMES for p in parameters]
    if len(required) > 2 or (len(required) == 1 and not rate[0] and len(parameters) == 1):
        names = ", ".join(p.name for p in required)
        return f"updateWeights({names}): the kit calls updateWeights(gradIn, eta) or updateWeights(eta)"
    if len(required) == 2 or (len(parameters) >= 2 and not rate[0]):
        return "gradIn, eta"
    if parameters:
        return "eta"
    return "updateWeights() takes no arguments: the kit calls updateWeights(gradIn, eta) or updateWeights(eta)"


def parameter_gradients(obj, gradIn, parameters=None):
    """The gradients ``obj.updateWeights`` would apply, without applying them: ``{name:
    array shaped like the parameter}``, or ``None`` when ``obj`` has no ``updateWeights`` it
    can call or no parameters. Call it after ``forward`` and ``backward`` with the same
    ``gradIn``: it runs ``updateWeights`` with ``eta = 1``, reads what changed (``old - new``,
    the gradient of a step ``W -= eta * dW``) and writes the old values back into the
    student's own arrays (an update in place is undone in place). ``parameters``: the
    ``student_parameters(obj)`` to read (found afresh by default)."""
    parameters = student_parameters(obj) if parameters is None else parameters
    style = update_style(obj)
    if not parameters or style not in ("gradIn, eta", "eta"):
        return None
    originals = [(p, p.raw()) for p in parameters]
    before = {p.name: p.get() for p in parameters}
    try:
        if style == "eta":
            obj.updateWeights(1.0)
        else:
            obj.updateWeights(np.array(gradIn, dtype=float, copy=True), 1.0)
        return {p.name: before[p.name] - p.get() for p in parameters}
    finally:
        for p, original in originals:
            if p.raw() is not original:  # the update replaced the array: give the old one back
                try:
                    p._setter(original)
                except Exception:  # a setter that refuses: the values are put back below
                    pass
            p.put(before[p.name])


def _defines(cls, name):
    return any(name in vars(klass) for klass in cls.__mro__[:-1])


def _required_arguments(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    return [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.default is p.empty]


def is_objective(obj):
    """True when ``obj`` (an instance or a class) has an objective's interface: ``eval`` and a
    ``gradient`` taking two arguments (``Y, Yhat``), whatever it inherits (an objective that
    subclasses the student's own ``Layer`` is an objective)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    if not (callable(getattr(cls, "eval", None)) and callable(getattr(cls, "gradient", None))):
        return False
    required = _required_arguments(getattr(cls, "gradient"))
    return required is not None and len(required) - 1 >= 2  # self, Y, Yhat


def is_layer(obj):
    """True when ``obj`` (an instance or a class) has a layer's interface: ``forward`` and
    ``backward``, and is not an objective (``is_objective``)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    return (callable(getattr(cls, "forward", None)) and callable(getattr(cls, "backward", None))
            and not is_objective(cls))


def _argument_for(name, width, data, size_out):
    key = name.lower().replace("_", "")
    if key in ("datain", "data", "x", "h", "features", "xtrain", "dataset", "matrix", "inputs") or "data" in key:
        return data
    if key in _RATE_NAMES or "rate" in key:  # a learning rate kept by the layer: 1, as updateWeights gets
        return 1.0
    if "out" in key:
        return size_out
    if "in" in key or key in ("d", "size", "width", "features", "dim"):
        return width
    raise LookupError(name)


def build(make, width=None, data=None, size_out=None):
    """A fresh object from ``make``: called with no argument when it needs none (a factory,
    or a class without required constructor arguments); otherwise a class's required
    arguments are filled by their names: ``sizeIn``-like names get ``width`` (default
    ``DEFAULT_SIZE_IN``), ``sizeOut``-like names ``size_out`` (default ``DEFAULT_SIZE_OUT``),
    learning-rate names (``eta``, ``lr``, ``learningRate``) 1, ``dataIn``-like names
    ``data`` (an input layer's data). A ``TypeError`` says how to pass a factory when a name
    is unknown, or when ``make`` is an instance rather than a class or a factory."""
    if not callable(make) or (not inspect.isclass(make) and
                              (hasattr(make, "forward") or hasattr(make, "eval"))):
        raise TypeError(
            f"pass the class or a function of no arguments that makes one (lambda: MyLayer(...)), "
            f"not {type(make).__name__!r} object: every check needs a fresh one")
    if not inspect.isclass(make):
        return make()
    required = _required_arguments(make) or []
    if not required:
        return make()
    arguments = []
    for parameter in required:
        try:
            arguments.append(_argument_for(parameter.name, width or DEFAULT_SIZE_IN, data,
                                           size_out or DEFAULT_SIZE_OUT))
        except LookupError:
            raise TypeError(
                f"{make.__name__}({', '.join(p.name for p in required)}): the kit does not know what to "
                f"give {parameter.name!r}; pass a factory instead, e.g. lambda: {make.__name__}(...)") from None
    return make(*arguments)
