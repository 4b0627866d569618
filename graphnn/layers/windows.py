"""The window arithmetic the image layers share (``ConvolutionalLayer``, ``MaxPoolLayer``).

A window of ``kh x kw`` pixels slides over an ``N x C x H x W`` image by ``sh`` rows and
``sw`` columns at a time; there are ``H' = (H - kh) // sh + 1`` positions down and
``W' = (W - kw) // sw + 1`` across (the floor: a last partial window is dropped, as PyTorch
and ONNX do by default). ``windows`` gives every window as a view, without copying a pixel;
``add_windows`` is its adjoint, adding values shaped like the windows back onto the image
(col2im), with a loop over the ``kh * kw`` offsets, never over pixels or observations.
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: the most entries a ``gradient()`` Jacobian of an image layer may have (80 MB in float64):
#: beyond it, the layer says so and points at ``backward``, which never builds the matrix
JACOBIAN_LIMIT = 10_000_000


def pair(value, minimum, owner, name):
    """``value`` (an int, or a pair of ints: rows, columns) as a tuple ``(a, b)`` of ints
    ``>= minimum``, else a ``ValueError`` naming ``owner`` and the argument ``name``."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        items = tuple(value)
    else:
        items = (value, value)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < minimum:
            wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ValueError(
                f"{owner}: {name} must be {wanted} or a pair of them (rows, columns), got {value!r}"
            )
    return (int(items[0]), int(items[1]))


def describe_pair(value):
    """``(3, 3)`` -> ``'3x3'``, ``(3, 1)`` -> ``'3x1'``."""
    return f"{value[0]}x{value[1]}"


def output_size(height, width, size, stride):
    """``(H', W')``: the number of window positions down and across (floor)."""
    return ((height - size[0]) // stride[0] + 1, (width - size[1]) // stride[1] + 1)


def windows(X, size, stride):
    """Every ``kh x kw`` window of ``X`` (``N x C x H x W``) at stride ``(sh, sw)``, as a
    read-only view ``N x C x H' x W' x kh x kw``: entry ``[n, c, i, j, p, q]`` is
    ``X[n, c, i sh + p, j sw + q]``."""
    view = sliding_window_view(X, size, axis=(2, 3))
    if stride != (1, 1):
        view = view[:, :, ::stride[0], ::stride[1]]
    return view


def add_windows(target, values, stride):
    """Add ``values`` (``N x C x kh x kw x H' x W'``, one number per window entry) into
    ``target`` (``N x C x H x W``, written in place) at the pixels the windows of ``windows``
    read: the adjoint of ``windows``, so overlapping windows add up. One vectorised addition
    per kernel offset ``(p, q)``: ``kh * kw`` of them."""
    kh, kw, rows, cols = values.shape[2:]
    sh, sw = stride
    for p in range(kh):
        for q in range(kw):
            target[:, :, p:p + sh * (rows - 1) + 1:sh, q:q + sw * (cols - 1) + 1:sw] += values[:, :, p, q]
    return target


def require_small_jacobian(owner, entries, shape_words, instead):
    """Raise a ``ValueError`` when a Jacobian of ``entries`` entries is too big to build,
    saying what it would be (``shape_words``) and what ``backward`` computes ``instead``."""
    if entries > JACOBIAN_LIMIT:
        raise ValueError(
            f"{owner}: gradient() would be {shape_words} = {entries:,} entries, more than "
            f"{JACOBIAN_LIMIT:,}; it is built for small inputs only (teaching, grading). "
            f"backward(G) computes {instead} without it"
        )
