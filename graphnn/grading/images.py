"""Image layers in the grading kit: a student's ``ConvolutionalLayer``, ``MaxPoolLayer`` and
``FlatteningLayer`` checked as they are written.

An image layer (graphnn's ``input_ndim = 4``, a class named ``...Conv...``, ``...Pool...`` or
``...Flatten...``, or a constructor asking for channels, a kernel size or a stride) is fed
``N x C x H x W`` images, ``IMAGE_SHAPE`` by default (``C`` from the kernels' shape or an
``in_channels`` attribute). The course's first convolution (one 2-D kernel over
single-channel ``N x H x W`` images) is accepted as it is: the kit tries ``N x C x H x W``
first, then ``N x H x W`` (a 2-D kernel says so at once), and compares with graphnn's layer
through an adapter that adds and removes the channel axis (``x[:, None]``, ``y[:, 0]``).

Its values are compared with graphnn's class of the same name, built with the student's
kernels, biases, stride, padding and pooling size (``reference_layer``), and the usual
mistakes are named: a flipped kernel (a convolution, not the cross-correlation), flattening in
Fortran order, a max pooling that sends a window's gradient to every tied maximum
(``tie_routes``; one entry is right, the first as PyTorch and graphnn do, or any other).
"""
import inspect
import numbers
import re

import numpy as np

from .inputs import compare, show_input
from .report import CheckFailure
from .student import build, student_parameters

__all__ = ["IMAGE_SHAPE", "IMAGE_SIZES", "IMAGE_TOLERANCE", "is_image_layer", "checked_shape",
           "observation_shape", "hyperparameter", "reference_layer", "tie_routes", "check_images_against_reference"]

#: ``C x H x W`` of the images tried: two channels (so that channels must be kept apart), more
#: rows than columns (so that a swapped axis shows), divisible by 2 (pooling windows of 2 fit)
IMAGE_SHAPE = (2, 6, 4)
#: the numbers of observations the checks try on images (each observation is many entries)
IMAGE_SIZES = (1, 3)
#: an image layer's values against graphnn's: sums of a few products, rounded differently
IMAGE_TOLERANCE = 1e-8

_KIND = re.compile(r"(conv)|(pool)|(flatten)", re.IGNORECASE)
_STRIDE = ("stride", "strides", "s")
_PADDING = ("padding", "pad", "pad_size")
_POOL_SIZE = ("size", "pool_size", "poolSize", "kernel_size", "kernelSize", "window", "window_size", "p")
_CHANNELS = ("in_channels", "inChannels", "channels_in", "C_in", "numChannels", "channels")


def _kind(name):
    """``'conv'``, ``'pool'``, ``'flatten'`` or ``None``, from a class name."""
    match = _KIND.search(name)
    return None if match is None else ("conv", "pool", "flatten")[match.lastindex - 1]


def is_image_layer(layer, name):
    """True when ``layer`` (an object of class ``name``) takes images: graphnn's
    ``input_ndim == 4``, a name like an image layer's, or a kernel of 4 axes."""
    if getattr(layer, "input_ndim", 2) == 4 or _kind(name):
        return True
    return any(p.name == "weights" and np.ndim(p.raw()) == 4 for p in student_parameters(layer))


def checked_shape(shape):
    """``shape`` (``input_shape=``) as a tuple of positive ints, one observation's (``(C, H,
    W)``, or ``(H, W)`` for single-channel images); ``ValueError`` otherwise."""
    items = tuple(shape) if isinstance(shape, (tuple, list)) else None
    if not items or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1 for d in items):
        raise ValueError(f"check_layer: input_shape is {shape!r}; give one observation's shape, (C, H, W) or (H, W), "
                         "in positive integers")
    return tuple(int(d) for d in items)


def _count(value):
    """``value`` as an ``int`` if it is a whole number (a Python or numpy int, or a 0-d integer
    array, as a student who reads a config with numpy keeps one), else ``None``; ``True`` is
    no size."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    return int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else None


def hyperparameter(layer, names, default=None):
    """The first of the attributes ``names`` that ``layer`` holds as an int or a pair of ints,
    as a pair ``(rows, columns)``; ``default`` (a pair, or ``None``) otherwise."""
    for name in names:
        value = getattr(layer, name, None)
        if _count(value) is not None:
            return (_count(value), _count(value))
        if (isinstance(value, (tuple, list)) or isinstance(value, np.ndarray) and value.ndim >= 1) and len(value) == 2:
            pair = tuple(map(_count, value))
            if None not in pair:
                return pair
    return default


def _kernel(layer):
    found = [p for p in student_parameters(layer) if p.name == "weights"]
    return found[0] if found else None


def observation_shape(layer, context):
    """``(C, H, W)`` of the images an image ``layer`` is checked with (``IMAGE_SHAPE``, wide
    enough for its kernel or window; ``C`` from its kernels ``O x C x kh x kw`` or an
    ``in_channels`` attribute), or ``(H, W)`` for the course's single-channel layer (a 2-D
    kernel, or a forward that refuses ``N x C x H x W`` but takes ``N x H x W``): the first
    shape its ``forward`` takes."""
    channels, (height, width) = IMAGE_SHAPE[0], IMAGE_SHAPE[1:]
    kernel = _kernel(layer)
    window = hyperparameter(layer, _POOL_SIZE) if _kind(context.name) == "pool" else None
    shape = np.shape(kernel.raw()) if kernel is not None else ()
    kh, kw = shape[-2:] if len(shape) >= 2 else (window or (2, 2))
    stride = hyperparameter(layer, _STRIDE, (1, 1))
    height, width = max(height, kh + 2 * stride[0]), max(width, kw + 2 * stride[1])
    if len(shape) == 4:
        channels = shape[1]
    else:
        given = next((c for c in (_count(getattr(layer, n, None)) for n in _CHANNELS) if c is not None), None)
        channels = given or channels
    candidates = ((channels, height, width), (height, width))
    if len(shape) == 2:  # one 2-D kernel: single-channel images, N x H x W (or N x 1 x H x W)
        candidates = ((height, width), (1, height, width))
    problems = []
    for candidate in candidates:
        try:
            out = build(context.make).forward(np.ones((2,) + candidate))
            if isinstance(out, np.ndarray) and out.ndim >= 2 and out.shape[0] == 2:
                return candidate
            problems.append(f"{' x '.join(map(str, (2,) + candidate))}: forward returned "
                            f"{type(out).__name__ if not isinstance(out, np.ndarray) else out.shape}")
        except Exception as err:  # the layer refuses this shape: try the next one
            problems.append(f"{' x '.join(map(str, (2,) + candidate))}: {type(err).__name__}: {str(err)[:80]}")
    raise ValueError(f"check_layer: {context.name} took neither images N x C x H x W nor N x H x W ("
                     f"{'; '.join(problems)}); pass check_layer(..., input_shape=(C, H, W))")


def _single_channel(context):
    return len(context.shapes[0]) == 2


def reference_layer(context, layer):
    """graphnn's image layer (``context.reference``) doing what the student's ``layer`` should:
    a convolution with its kernels, biases, stride and padding; a max pooling with its window
    and stride; a flattening. ``CheckFailure`` when its kernels cannot be read as ``O x C x kh
    x kw`` (or ``kh x kw``, single channel)."""
    make, kind = context.reference, _kind(context.name)
    if not inspect.isclass(make):
        return make()
    if kind == "conv":
        kernel = _kernel(layer)
        if kernel is None:
            raise CheckFailure("no kernels found (getWeights/getKernel, or an attribute weights, kernel, K)")
        K = kernel.get()
        if K.ndim == 2:
            K = K[None, None]
        elif K.ndim == 3 and _single_channel(context):
            K = K[:, None]
        if K.ndim != 4 or K.shape[1] != (1 if _single_channel(context) else context.shapes[0][0]):
            raise CheckFailure(f"kernels shaped {kernel.get().shape}: the kit reads O x C x kh x kw (or kh x kw for "
                               "one kernel over single-channel images)")
        biases = next((p.get() for p in student_parameters(layer) if p.name == "biases"), np.zeros(K.shape[0]))
        if biases.size == 1:
            biases = np.full(K.shape[0], float(biases.reshape(-1)[0]))
        reference = make(K.shape[1], K.shape[0], K.shape[2:], stride=hyperparameter(layer, _STRIDE, (1, 1)),
                         padding=hyperparameter(layer, _PADDING, (0, 0)))
        reference.setWeights(K)
        reference.setBiases(biases.reshape(K.shape[0]))
        return reference
    if kind == "pool":
        size = hyperparameter(layer, _POOL_SIZE)
        if size is None:
            raise CheckFailure(f"no pooling size found (an attribute {', '.join(_POOL_SIZE[:4])})")
        return make(size, stride=hyperparameter(layer, _STRIDE, size))
    return make()


def _as_images(context, x):
    """``x`` as graphnn's layers take it: ``N x 1 x H x W`` for single-channel ``N x H x W``."""
    return x[:, None] if _single_channel(context) else x


def _from_images(context, y, like):
    """graphnn's ``y`` back in the student's shape (``like``): the channel axis dropped for
    single-channel images."""
    return y[:, 0] if _single_channel(context) and y.ndim == 4 and np.ndim(like) == 3 else y


def _forward_hint(context, layer, x, out, reference):
    """A sentence naming the usual mistake ``out`` shows, or ``''``."""
    kind = _kind(context.name)
    if kind == "conv" and hasattr(reference, "setWeights"):
        flipped = reference_layer(context, layer)
        flipped.setWeights(flipped.getWeights()[:, :, ::-1, ::-1].copy())
        expected = _from_images(context, np.asarray(flipped.forward(_as_images(context, x)), dtype=float), out)
        if out.shape == expected.shape and np.allclose(out, expected, rtol=1e-8, atol=1e-10):
            return ("forward is a convolution (the kernel flipped): the layer computes the cross-correlation "
                    "Y[i, j] = sum over a, b of K[a, b] X[i + a, j + b], with the kernel as it is (PyTorch's conv2d, "
                    "graphnn's ConvolutionalLayer); drop the flip (np.flip, [::-1, ::-1])")
    if kind == "flatten" and out.shape == (len(x), x[0].size):
        if np.array_equal(out, x.reshape(len(x), -1, order="F")):
            return ("forward flattens in Fortran (column-major) order: flatten in C order, X.reshape(N, -1), as "
                    "graphnn's FlatteningLayer, PyTorch's flatten and the next layer's weights expect")
    return ""


def check_images_against_reference(context):
    """"Same values as graphnn" for an image layer: forward and backward against graphnn's
    class on the same images (with the student's kernels, stride, padding, window), ``N = 1,
    3``; the usual mistakes named (``_forward_hint``); for a max pooling, the gradient at
    tied maxima too (``tie_routes``)."""
    name = getattr(context.reference, "__name__", "reference")
    worst = 0.0
    for n in context.sizes_tried:
        layer = context.layer()
        (x,) = context.inputs(n)
        out = context.forward(layer, (x,))
        reference = reference_layer(context, layer)
        expected = _from_images(context, np.asarray(reference.forward(_as_images(context, x.copy())), dtype=float),
                                out)
        if out.shape != expected.shape or not np.allclose(out, expected, rtol=IMAGE_TOLERANCE, atol=1e-12):
            hint = _forward_hint(context, layer, x, out, reference)
            if hint:
                raise CheckFailure(f"N = {n}: forward differs from graphnn's {name}", hint, show_input(x))
        worst = max(worst, compare(out, expected, IMAGE_TOLERANCE, f"N = {n}: forward vs graphnn's {name}",
                                   failing_input=show_input(x), what="forward", reference=f"graphnn's {name}"))
        G = context.gradIn(out.shape)
        (back,) = context.backward(layer, G)
        expected = np.asarray(reference.backward(_as_images(context, G.copy()) if out.ndim == 3 else G.copy()),
                              dtype=float)
        worst = max(worst, compare(back, _from_images(context, expected, back), IMAGE_TOLERANCE,
                                   f"N = {n}: backward vs graphnn's {name}", failing_input=show_input(x), gradIn=G,
                                   reference=f"graphnn's {name}"))
    ties = _check_ties(context) if _kind(context.name) == "pool" else ""
    return f"forward, backward vs graphnn's {name}, {context.sizes()}: worst relative error {worst:.1e}{ties}"


def tie_routes(x, G, size, stride):
    """Where a max pooling's backward can send ``G`` (``N x C x H' x W'``) at images ``x``
    (``N x C x H x W``) with ties: ``{'first': ..., 'last': ..., 'every': ...}``, each ``N x C
    x H x W``: each window's gradient to its first maximum (row-major, as PyTorch), to its
    last, or to every tied maximum (the mistake); and the number of windows with a tie."""
    (kh, kw), (sh, sw) = size, stride
    n, c, height, width = x.shape
    routes = {name: np.zeros_like(x) for name in ("first", "last", "every")}
    tied_windows = 0
    for i in range((height - kh) // sh + 1):
        for j in range((width - kw) // sw + 1):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(n, c, -1)
            top = window == window.max(axis=-1, keepdims=True)
            tied_windows += int((top.sum(axis=-1) > 1).sum())
            first = np.argmax(top, axis=-1)
            last = top.shape[-1] - 1 - np.argmax(top[..., ::-1], axis=-1)
            g = G[:, :, i, j]
            for route, chosen in (("first", np.arange(kh * kw) == first[..., None]),
                                  ("last", np.arange(kh * kw) == last[..., None]), ("every", top)):
                routes[route][:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += \
                    (chosen * g[..., None]).reshape(n, c, kh, kw)
    return routes, tied_windows


def _check_ties(context):
    layer = context.layer()
    size = hyperparameter(layer, _POOL_SIZE)
    if size is None:
        return ""
    stride = hyperparameter(layer, _STRIDE, size)
    rng = np.random.default_rng(26)
    x = rng.integers(0, 2, size=(2,) + context.shapes[0]).astype(float)  # 0s and 1s: most windows tie
    out = context.forward(layer, (x,))
    G = context.gradIn(out.shape)
    (back,) = context.backward(layer, G)
    routes, tied = tie_routes(_as_images(context, x), _as_images(context, G), size, stride)
    routes = {name: _from_images(context, route, back) for name, route in routes.items()}
    for name in ("first", "last"):
        if back.shape == routes[name].shape and np.allclose(back, routes[name], rtol=1e-10, atol=1e-12):
            return f"; at tied maxima ({tied} windows) the gradient goes to the {name} one"
    if back.shape == routes["every"].shape and np.allclose(back, routes["every"], rtol=1e-10, atol=1e-12):
        raise CheckFailure(f"at tied maxima ({tied} of the windows tie): backward sends a window's gradient to every "
                           "tied maximum", "send it to one entry of the window (the first, np.argmax, as PyTorch and "
                           "graphnn do): the forward took one value, and giving the gradient to every tied maximum "
                           "counts it several times", show_input(x))
    compare(back, routes["first"], 1e-10, "at tied maxima: backward vs one maximum per window",
            failing_input=show_input(x), gradIn=G, reference="the gradient sent to each window's first maximum")
    return ""
