"""Input checks shared by layers, objectives and the graph.

Every value in graphnn is an array with the batch first: ``N x D`` (one row per observation)
for most layers, ``N x C x H x W`` for images. These helpers turn whatever the user passed
into such an array, or raise a ``ValueError`` that names who
complained (``owner``) and the shapes involved, so that no bare numpy broadcasting error
reaches the user.
"""
import numbers

import numpy as np


def describe_shape(shape):
    """``(673, 16)`` -> ``'673 x 16'``, ``(64, 1, 8, 8)`` -> ``'64 x 1 x 8 x 8'``; a scalar's
    shape ``()`` -> ``'()'``."""
    if len(shape) == 0:
        return "()"
    return " x ".join(str(size) for size in shape)


#: the floating dtypes graphnn computes in; float16 is converted to float32 (numpy computes
#: half precision through float32 anyway, and its range is too small for exp and log)
COMPUTE_DTYPES = frozenset({np.float32, np.float64, np.longdouble})


def is_matrix(value):
    """Whether ``value`` is already what ``as_matrix`` returns: a 2-D float array, ``N >= 1``."""
    return (
        type(value) is np.ndarray and value.ndim == 2 and value.dtype.type in COMPUTE_DTYPES
        and value.shape[0] > 0
    )


def is_batch(value, ndim=2):
    """Whether ``value`` is already what ``as_batch(..., ndim=ndim)`` returns."""
    return (
        type(value) is np.ndarray and value.dtype.type in COMPUTE_DTYPES
        and (value.ndim == ndim if ndim is not None else value.ndim >= 2)
        and value.shape[0] > 0
    )


#: how a message names the values of each rank
RANK_NAMES = {2: "a 2-D N x D array", 3: "a 3-D N x C x L array", 4: "a 4-D N x C x H x W array"}


def as_matrix(value, owner, what="input"):
    """Return ``value`` as a 2-D floating-point ``N x D`` array with ``N >= 1``.

    Floating-point arrays keep their dtype (float32 stays float32, float64 stays float64);
    integers and booleans are converted once, to float64, and float16 to float32. ``owner`` is a string naming the caller, used in messages.
    """
    if is_matrix(value):
        return value  # the hot path: already what we need
    return as_batch(value, owner, what, ndim=2)


def as_batch(value, owner, what="input", ndim=2):
    """Return ``value`` as a floating-point array with the batch first and ``N >= 1``:
    ``ndim`` dimensions (2 for ``N x D``, 4 for ``N x C x H x W`` images), or any rank of at
    least 2 when ``ndim`` is ``None`` (an element-wise layer). Dtypes as ``as_matrix``;
    ``owner`` names the caller in messages."""
    if is_batch(value, ndim):
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{owner}: {what} could not be read as an array ({err})") from None
    if (array.ndim != ndim) if ndim is not None else (array.ndim < 2):
        wanted = RANK_NAMES.get(ndim, f"a {ndim}-D array") if ndim is not None else \
            "a 2-D N x D array, or one of higher rank with the batch first (N x C x H x W)"
        hint = f" ({one_d_hint(array.size)})" if array.ndim == 1 and ndim in (2, None) else ""
        if ndim == 4 and array.ndim == 3:
            hint = (" (for one channel, add its axis: x.reshape(N, 1, H, W), or "
                    "x[:, None] on an N x H x W array)")
        raise ValueError(
            f"{owner}: {what} must be {wanted}, got {array.ndim}-D shape "
            f"{tuple(array.shape)}{hint}"
        )
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{owner}: {what} must be numeric, got dtype {array.dtype}")
    if array.shape[0] == 0:
        raise ValueError(f"{owner}: {what} has no observations (shape {describe_shape(array.shape)})")
    if array.dtype.type not in COMPUTE_DTYPES:
        array = array.astype(np.float32 if array.dtype == np.float16 else np.float64)
    return array


def one_d_hint(n):
    """What a 1-D array of ``n`` values may have meant, when nothing tells which: one
    observation (a row) or, for ``n > 1``, ``n`` observations of one value (a column)."""
    if n == 1:
        return "for one observation use x.reshape(1, -1)"
    return (f"for {n} observations of one value use x.reshape(-1, 1); for one observation "
            f"of {n} values, x.reshape(1, -1)")


def random_generator(seed, rng, owner):
    """The numpy ``Generator`` a layer draws its initial parameters from: ``rng`` itself (a
    ``Generator`` or ``RandomState``), or a new one seeded with ``seed`` (an integer ``>= 0``,
    or ``None`` for fresh entropy). A ``ValueError`` naming ``owner`` when both are given or
    either cannot give one."""
    if seed is not None and rng is not None:
        raise ValueError(f"{owner}: give either seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
            hint = f"; for a seed, pass seed={rng!r}" if isinstance(rng, numbers.Integral) else ""
            raise ValueError(
                f"{owner}: rng must be a numpy Generator (np.random.default_rng(...)), "
                f"got {rng!r}{hint}"
            )
        return rng
    if seed is not None:
        seed = integer_at_least(seed, 0, owner, "seed")
    return np.random.default_rng(seed)


def integer_at_least(value, minimum, owner, name):
    """``value`` as an ``int`` if it is an integer (Python or numpy, not a bool) ``>= minimum``,
    else a ``ValueError`` naming ``owner`` and the argument ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{owner}: {name} must be {wanted}, got {value!r}")
    return int(value)


def require_width(array, width, owner, what="input"):
    """Raise unless ``array`` is ``N x width``."""
    if array.shape[1] != width:
        raise ValueError(
            f"{owner}: {what} must have {width} columns, got {describe_shape(array.shape)}"
        )


def require_same_shape(array, expected_shape, owner, what):
    """Raise unless ``array.shape == expected_shape`` (e.g. a gradient against its output)."""
    if array.shape != expected_shape:
        raise ValueError(
            f"{owner}: {what} must be {describe_shape(expected_shape)}, "
            f"got {describe_shape(array.shape)}"
        )


def ieee_arithmetic():
    """A context in which NaN and inf flow through numpy arithmetic without a ``RuntimeWarning``
    (``np.errstate`` with overflow, invalid and divide ignored).

    graphnn's layers compute with IEEE semantics: NaN or inf in, NaN or inf out, quietly
    (docs/reliability.md); ``Graph.forward(..., check_finite=True)`` names the first node where
    they appear. Entering it costs about a microsecond, where scanning every input for NaN
    would cost a pass over it at every step: a ``Graph`` enters it once per pass, a layer's
    public method once per call.
    """
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


def ieee_quiet(function):
    """``function``, run in the context of ``ieee_arithmetic`` at every call: ``np.errstate``
    used as a decorator, which costs less than half of entering it with ``with`` (no object
    is made per call). The compiled passes of a graph and the layers' public methods use it."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")(function)


def require_finite(array, owner, what="input"):
    """Raise if ``array`` holds NaN or inf, saying how many entries and where the first is
    (its row and column in an ``N x D`` array, its index tuple at any other rank)."""
    if not np.isfinite(array).all():
        bad = ~np.isfinite(array)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{owner}: {what} ({describe_shape(array.shape)}) holds {int(bad.sum())} NaN or "
            f"inf entries, the first at {describe_index(first)} ({array[first]})"
        )


def describe_index(index):
    """Where an entry is, for messages: ``(3, 1)`` -> ``'row 3, column 1'`` for an ``N x D``
    array, ``(0, 2, 5, 1)`` -> ``'index (0, 2, 5, 1)'`` for any other rank."""
    if len(index) == 2:
        return f"row {index[0]}, column {index[1]}"
    return f"index {tuple(int(i) for i in index)}"
