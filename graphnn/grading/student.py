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
import numbers
import re

import numpy as np

__all__ = ["StudentParameter", "student_parameters", "parameter_gradients", "update_style", "update_method",
           "is_objective", "is_layer", "build", "dtype_note", "DtypeNotes", "as_width", "looks_like_image_layer",
           "DEFAULT_SIZE_IN", "DEFAULT_SIZE_OUT", "MAX_WIDTH", "UPDATE_METHODS", "IMAGE_ARGUMENTS"]

#: ``sizeIn`` given to a class whose constructor asks for one (a fully connected layer)
DEFAULT_SIZE_IN = 4
#: ``sizeOut`` given to a class whose constructor asks for one
DEFAULT_SIZE_OUT = 3

#: the widest input the kit differences (each entry costs two calls of ``forward``)
MAX_WIDTH = 1000

# an image layer's kernels are its weights: getKernel/setKernel, self.kernel (kh x kw, or O x C x kh x kw)
_ACCESSORS = (("weights", "getWeights", "setWeights"), ("weights", "getKernel", "setKernel"),
              ("weights", "getKernels", "setKernels"), ("biases", "getBiases", "setBiases"),
              ("biases", "getBias", "setBias"))
_ATTRIBUTES = (("weights", ("weights", "W", "w", "weight", "kernel", "kernels", "K", "filters")),
               ("biases", ("biases", "b", "bias")))
#: the names of the method applying a parameter update, in the order they are looked for
UPDATE_METHODS = ("updateWeights", "updateKernel", "updateKernels", "updateFilters")
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
    accessor pairs first (``getKernel``/``setKernel`` too), else through an attribute holding
    a 2-D to 4-D (weights; an image layer's ``kernel``) or 1-D to 3-D (biases) array of
    numbers (integers too: ``check_layer`` tells the student they cannot be updated). Empty
    when it has none."""
    found = []
    for name, getter, setter in _ACCESSORS:
        get, set_ = getattr(obj, getter, None), getattr(obj, setter, None)
        if callable(get) and callable(set_) and name not in {p.name for p in found}:
            found.append(StudentParameter(obj, name, f"{getter}/{setter}", get, set_))
    names = {p.name for p in found}
    for name, attributes in _ATTRIBUTES:
        if name in names:
            continue
        for attribute in attributes:
            value = getattr(obj, attribute, None)
            if isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and 1 <= value.ndim <= 4 \
                    and (value.ndim <= 3 if name == "biases" else value.ndim >= 2):
                found.append(StudentParameter(
                    obj, name, f"attribute {attribute}", lambda a=attribute: getattr(obj, a),
                    lambda v, a=attribute: setattr(obj, a, v)))
                break
    return found


def update_method(obj):
    """The bound method that applies ``obj``'s parameter updates (the first of
    ``UPDATE_METHODS`` it has: ``updateWeights``, an image layer's ``updateKernel``), or
    ``None``."""
    for name in UPDATE_METHODS:
        method = getattr(obj, name, None)
        if callable(method):
            return method
    return None


def update_style(obj):
    """How ``obj.updateWeights`` is called: ``'gradIn, eta'``, ``'eta'`` (it uses what
    ``backward`` kept), ``None`` when there is no ``updateWeights``, or a sentence saying why
    it cannot be called (it needs more arguments)."""
    update = update_method(obj)
    if update is None:
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
    student's own arrays (an update in place is undone in place). What else the update
    changes (a momentum, a step count, a list it appends to) is put back too
    (``_attributes_kept``). ``parameters``: the ``student_parameters(obj)`` to read (found
    afresh by default)."""
    parameters = student_parameters(obj) if parameters is None else parameters
    style = update_style(obj)
    if not parameters or style not in ("gradIn, eta", "eta"):
        return None
    with _attributes_kept(obj):
        return _parameter_steps(obj, parameters, style, gradIn)


def _parameter_steps(obj, parameters, style, gradIn):
    originals = [(p, p.raw()) for p in parameters]
    before = {p.name: p.get() for p in parameters}
    try:
        if style == "eta":
            update_method(obj)(1.0)
        else:
            update_method(obj)(np.array(gradIn, dtype=float, copy=True), 1.0)
        return {p.name: before[p.name] - p.get() for p in parameters}
    finally:
        for p, original in originals:
            if p.raw() is not original:  # the update replaced the array: give the old one back
                try:
                    p._setter(original)
                except Exception:  # a setter that refuses: the values are put back below
                    pass
            p.put(before[p.name])


class _attributes_kept:
    """Within it, what is done to ``obj``'s attributes is undone on the way out: an attribute
    rebound (``self.t += 1``, ``self.v = mu * self.v + dW``) gets its old object back, one
    added (a momentum made on the first update) is removed, and an array, list, dict or set
    changed in place gets its old contents back, in place (one level deep: the items of a
    list are the same objects, not copies). Each backward of a wrapped layer reads its
    ``updateWeights`` this way; without it a momentum or a step count drifted with every
    read."""

    def __init__(self, obj):
        self.obj = obj

    def __enter__(self):
        self.attributes = dict(getattr(self.obj, "__dict__", {}))
        self.contents = {name: value.copy() for name, value in self.attributes.items()
                         if isinstance(value, (np.ndarray, list, dict, set))}
        return self

    def __exit__(self, *exc_info):
        now = getattr(self.obj, "__dict__", None)
        if now is None:
            return
        for name in set(now) - set(self.attributes):
            del now[name]
        now.update(self.attributes)
        for name, saved in self.contents.items():
            value = self.attributes[name]
            if isinstance(value, np.ndarray):
                if value.flags.writeable and value.shape == saved.shape:
                    value[...] = saved
            elif isinstance(value, list):
                value[:] = saved
            else:  # a dict or a set
                value.clear()
                value.update(saved)


def dtype_note(method, value):
    """``''`` when ``value`` (what ``method`` returned, or its dtype) is float64 or no array;
    else a sentence telling the student its dtype and why the checks, which compare in
    float64, cannot work with it: ``'forward returns float32; the checks compare in float64
    ...'``. ``method`` may name several (``'forward and gradient()'``)."""
    dtype = value if isinstance(value, np.dtype) else getattr(value, "dtype", None)
    # float64 in either byte order (">f8" from a file written on a big-endian machine) or wider
    if not isinstance(dtype, np.dtype) or (dtype.kind == "f" and dtype.itemsize >= 8):
        return ""
    returns = "return" if " and " in method else "returns"
    if dtype.kind == "f":
        return (f"{method} {returns} {dtype}; the checks compare in float64: a central difference (step 1e-6) "
                f"needs float64's 16 digits and {dtype} keeps about {np.finfo(dtype).precision}, so every derivative "
                f"looks wrong. Compute in float64 (no astype(np.{dtype}), no dtype=np.{dtype})")
    if dtype.kind in "iub":
        return (f"{method} {returns} {dtype} (integers); the checks compare in float64, and integers cut every "
                f"value to a whole number, so derivatives look wrong. Compute in floats (np.zeros(shape), not "
                f"np.zeros(shape, dtype=int); no astype(int))")
    return f"{method} {returns} an array of dtype {dtype}; the checks compare float64 arrays"


class DtypeNotes:
    """The dtypes other than float64 a student's methods returned, as the checks saw them
    (``record``); ``sentences()`` tells the student (``dtype_note``), one sentence per dtype;
    ``explain(failure)`` puts that first in a failing check."""

    def __init__(self):
        self.seen = {}  # dtype -> [method]

    def record(self, method, value):
        """Note ``value``'s dtype when it is an array of another dtype than float64; returns
        ``value``."""
        parts = value if isinstance(value, (tuple, list)) else (value,)
        for part in parts:
            if dtype_note(method, part):
                methods = self.seen.setdefault(part.dtype, [])
                if method not in methods:
                    methods.append(method)
        return value

    def __bool__(self):
        return bool(self.seen)

    def sentences(self):
        """One ``dtype_note`` per dtype seen, naming every method that returned it."""
        return [dtype_note(" and ".join(methods), dtype) for dtype, methods in self.seen.items()]

    def explain(self, failure):
        """``failure`` (a ``CheckFailure``) led by the first dtype seen, with its sentence as
        the hint, or ``failure`` itself when every result was float64."""
        if not self.seen:
            return failure
        sentence = self.sentences()[0]
        return type(failure)(f"{sentence.split(';')[0]}: {failure.numbers}", sentence, failure.failing_input, True)


def as_width(value, what="sizeIn"):
    """``(width, note)`` for a student's ``value`` meant as an input width: ``(int, '')`` for a
    positive integer up to ``MAX_WIDTH``; ``(int, note)`` for a float holding one (``3.0``);
    ``(None, note)`` for anything else (``None``, ``0``, ``-1``, ``2.5``, ``'3'``, ``True``,
    too wide), the note saying what is wrong."""
    if isinstance(value, np.generic):  # np.float64(2.0) shown as 2.0
        value = value.item()
    if isinstance(value, bool):
        return None, f"{what} is {value!r}, a bool, not a width (a positive integer)"
    if isinstance(value, numbers.Integral):
        if value < 1:
            return None, f"{what} is {value!r}: a width is a positive integer"
        if value > MAX_WIDTH:
            return None, f"{what} is {value!r}: wider than the kit checks ({MAX_WIDTH}; each entry is differenced)"
        return int(value), ""
    if isinstance(value, numbers.Real) and float(value).is_integer() and 1 <= value <= MAX_WIDTH:
        return int(value), f"{what} is {value!r}, a float: a width is an integer (int(...)); {int(value)} was used"
    return None, f"{what} is {value!r} ({type(value).__name__}), not a width (a positive integer)"


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
    if "in" in key or key in ("d", "size", "width", "dim"):  # "features" is data (above)
        return width
    raise LookupError(name)


def _needed(function):
    """The parameters ``function`` cannot be called without (positional or keyword-only), or
    ``None`` when its signature cannot be read."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    return [p for p in parameters if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _shown(value):
    return "X" if isinstance(value, np.ndarray) or value is None else repr(value)


#: an image layer's constructor arguments, by name (lower case, no ``_``): 2 input channels, 3
#: output channels (kernels), 3 x 3 kernels, 2 x 2 pooling windows; a stride of 1 for a
#: convolution (a pooling layer's is its size), no padding
IMAGE_ARGUMENTS = (
    (("inchannels", "channelsin", "cin", "inputchannels", "numchannels", "channels", "inchannel", "c"), 2),
    (("outchannels", "channelsout", "cout", "outputchannels", "numkernels", "numfilters", "nkernels", "nfilters",
      "filters", "kernels", "outchannel"), 3),
    (("kernelsize", "ksize", "filtersize", "kernelshape", "kernel", "k"), 3),
    (("size", "poolsize", "window", "windowsize", "pool", "poolingsize"), 2),
    (("padding", "pad"), 0),
)
_IMAGE_NAME = re.compile(r"conv|pool|flatten", re.IGNORECASE)


def looks_like_image_layer(cls):
    """True for a class named like an image layer (``...Conv...``, ``...Pool...``,
    ``...Flatten...``) or whose constructor asks for channels, a kernel size or a stride."""
    if _IMAGE_NAME.search(cls.__name__):
        return True
    names = {p.name.lower().replace("_", "") for p in (_needed(cls) or [])}
    return any(any(word in name for word in ("channel", "kernel", "stride")) for name in names)


def _image_argument_for(name, pooling):
    key = name.lower().replace("_", "")
    if key in ("stride", "strides", "s"):
        return 2 if pooling else 1
    for names, value in IMAGE_ARGUMENTS:
        if key in names:
            return value
    raise LookupError(name)


def build(make, width=None, data=None, size_out=None, caller="check_layer"):
    """A fresh object from ``make``: called with no argument when it needs none (a factory,
    or a class without required constructor arguments); otherwise a class's required
    arguments (positional or keyword-only) are filled by their names: ``sizeIn``-like names
    get ``width`` (default ``DEFAULT_SIZE_IN``), ``sizeOut``-like names ``size_out`` (default
    ``DEFAULT_SIZE_OUT``), learning-rate names (``eta``, ``lr``, ``learningRate``) 1,
    ``dataIn``-like names ``data`` (an input layer's data); an image layer's
    (``looks_like_image_layer``) by ``IMAGE_ARGUMENTS``. A ``TypeError`` naming ``caller``
    (``'check_layer'``) says to pass a factory, ``caller(lambda: Cls(...))``, naming the
    parameters the kit cannot fill, when ``make`` is an instance, or a factory that asks for
    arguments."""
    if not callable(make) or (not inspect.isclass(make) and
                              (hasattr(make, "forward") or hasattr(make, "eval"))):
        name = type(make).__name__
        raise TypeError(
            f"{caller}: pass the class or a function of no arguments that makes one ({caller}(lambda: {name}(...))), "
            f"not a {name!r} object: every check needs a fresh one")
    if not inspect.isclass(make):
        needed = _needed(make) or []
        if needed:
            names = ", ".join(p.name for p in needed)
            raise TypeError(f"{caller}: the factory {getattr(make, '__name__', 'given')} asks for {names}; pass a "
                            f"function of no arguments: {caller}(lambda: MyLayer(...))")
        return make()
    needed = _needed(make) or []
    values, unknown = [], []
    image, pooling = looks_like_image_layer(make), "pool" in make.__name__.lower()
    for parameter in needed:
        try:
            if image:
                values.append(_image_argument_for(parameter.name, pooling))
            else:
                values.append(_argument_for(parameter.name, width or DEFAULT_SIZE_IN, data,
                                            size_out or DEFAULT_SIZE_OUT))
        except LookupError:
            unknown.append(parameter.name)
            values.append(None)
    if unknown:
        example = ", ".join(f"{p.name}=..." if p.name in unknown else
                            (f"{p.name}={_shown(v)}" if p.kind == p.KEYWORD_ONLY else _shown(v))
                            for p, v in zip(needed, values))
        raise TypeError(
            f"{caller}: {make.__name__} needs constructor arguments the kit cannot guess: {', '.join(unknown)} (it "
            + ("fills in_channels-, out_channels-, kernel_size-, size-, stride- and padding-like names"
               if image else f"fills sizeIn-like names with the width, sizeOut-like names with "
                             f"{size_out or DEFAULT_SIZE_OUT}, dataIn-like names with data")
            + f"). Pass a factory: {caller}(lambda: {make.__name__}({example}))")
    positional = [v for p, v in zip(needed, values) if p.kind != p.KEYWORD_ONLY]
    keywords = {p.name: v for p, v in zip(needed, values) if p.kind == p.KEYWORD_ONLY}
    return make(*positional, **keywords)
