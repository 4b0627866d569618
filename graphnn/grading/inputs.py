"""What the checks feed a class, and how they compare what it gives back.

Inputs for layers (``away_from_zero_inputs``, ``input_layer_data``), ``(Y, Yhat)`` pairs for
objectives (``distribution_pair``), a Jacobian by central differences (``numeric_jacobians``),
the reading of a ``gradient()`` in every form the assignment allows (``as_jacobians``) and the
comparison that raises a ``CheckFailure`` with its numbers and hint (``compare``).
"""
import numpy as np

from .gradcheck import DEFAULT_EPS, mismatch_hint, relative_error
from .report import CheckFailure

__all__ = ["away_from_zero_inputs", "distribution_pair", "input_layer_data", "numeric_jacobians",
           "as_jacobians", "contract", "compare", "kind_of", "show_input", "GRADIENT_FORMS"]

#: the forms of ``gradient()`` the kit reads: the diagonal of each observation's Jacobian
#: (``N x D``, element-wise layers), the Jacobians (``N x K x D``) and one Jacobian shared by
#: every observation (``K x D``, the fully connected layer's ``W^T``)
GRADIENT_FORMS = ("N x D", "N x K x D", "K x D")


def away_from_zero_inputs(*widths, margin=0.1):
    """``make_inputs(rng, n)`` drawing each input (``n x width``, or ``n x C x H x W`` for a
    width that is a shape ``(C, H, W)``) from a standard normal with ``|x| >= margin``, so that
    a central-difference step never crosses a kink at 0 (ReLU)."""
    def make_inputs(rng, n):
        inputs = []
        for width in widths:
            x = rng.standard_normal((n,) + (tuple(width) if isinstance(width, tuple) else (width,)))
            inputs.append(np.where(x >= 0, 1.0, -1.0) * np.maximum(np.abs(x), margin))
        return tuple(inputs)
    return make_inputs


def input_layer_data(width, n=20, seed=19):
    """``n x width`` data for building an input layer: columns of different means and spreads
    (so that a z-score with one scalar mean and spread differs from one per column)."""
    rng = np.random.default_rng(seed)
    means = np.linspace(-5.0, 20.0, width)
    spreads = np.geomspace(0.5, 8.0, width)
    return rng.standard_normal((n, width)) * spreads + means


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def distribution_pair(rng, n, k):
    """``(Y, Yhat)``, both ``n x k``, valid for every objective of the seed: ``Y`` one-hot
    rows (even rows) and random distributions (odd rows), ``Yhat`` a softmax of random numbers
    (so inside ``(0, 1)``). With ``k = 1`` the only distribution is ``[1]``, and ``Yhat`` is
    drawn in ``(0.05, 0.95)`` to leave room for a central difference inside ``[0, 1]``."""
    if k == 1:
        return np.ones((n, 1)), rng.uniform(0.05, 0.95, size=(n, 1))
    Y = np.zeros((n, k))
    Y[np.arange(n), rng.integers(0, k, size=n)] = 1.0
    Y[1::2] = _softmax(rng.standard_normal((len(Y[1::2]), k)))
    return Y, _softmax(rng.standard_normal((n, k)))


def kind_of(value):
    """``'an array of shape (2, 3)'``, ``'a list'`` or ``'None'`` (a method with no ``return``):
    what a method returned, in words."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def show_input(x, limit=6):
    """An input as short text for a report: the array when it has at most ``limit`` rows,
    else its first row and shape."""
    x = np.asarray(x)
    with np.printoptions(precision=4, suppress=True, linewidth=200):
        if x.ndim > 2:  # an image: its shape and the first observation's first channel
            first = x[0] if x.ndim == 3 else x[0, 0]
            return (f"{' x '.join(map(str, x.shape))}, first image{'' if x.ndim == 3 else ' first channel'} "
                    f"{np.array2string(first)}").replace("\n", "")
        if x.ndim == 2 and x.shape[0] > limit:
            return f"{x.shape[0]} x {x.shape[1]}, first row {np.array2string(x[:1])}"
        return np.array2string(x).replace("\n", "")


def numeric_jacobians(forward, inputs, slot, eps=DEFAULT_EPS):
    """``N x K x D``: each observation's Jacobian of ``forward(*inputs)`` (``N x K``) with
    respect to input ``slot`` (``N x D``), by central differences, one entry of the input at a
    time (``2 N D`` calls). Values of higher rank (images) are flattened per observation:
    ``K`` and ``D`` are the entries of one observation's output and input. The input (a
    contiguous array) is perturbed in place and restored."""
    x = inputs[slot]
    n = x.shape[0]
    flat = x.reshape(n, -1)  # a view: perturbing it perturbs x
    d = flat.shape[1]
    jac = None
    for row in range(n):
        for col in range(d):
            original = flat[row, col]
            try:
                flat[row, col] = original + eps
                plus = np.array(forward(*inputs), dtype=float).reshape(n, -1)
                flat[row, col] = original - eps
                minus = np.array(forward(*inputs), dtype=float).reshape(n, -1)
            finally:
                flat[row, col] = original
            if jac is None:
                jac = np.zeros((n, plus.shape[1], d))
            jac[row, :, col] = (plus[row] - minus[row]) / (2 * eps)
    return jac


def as_jacobians(result, n, k, d, shared_first=False):
    """``(N x K x D tensor, form)`` for a ``gradient()`` result in one of ``GRADIENT_FORMS``:
    ``N x K x D`` as is; ``N x D`` (needs ``K = D``) as one diagonal matrix per row; ``K x D``
    broadcast to every row. When a 2-D shape fits both ``N x D`` and ``K x D`` (``N = K``),
    ``shared_first`` (a layer with weights) picks ``K x D``. Raises ``CheckFailure`` naming the
    allowed shapes otherwise."""
    J = np.asarray(result, dtype=float)
    if J.ndim == 3 and J.shape == (n, k, d):
        return J, "N x K x D"
    if J.ndim == 2:
        fits_diagonal = J.shape == (n, d) and k == d
        fits_shared = J.shape == (k, d)
        if fits_shared and (shared_first or not fits_diagonal):
            return np.broadcast_to(J, (n, k, d)), "K x D"
        if fits_diagonal:
            return np.einsum("nd,de->nde", J, np.eye(d)), "N x D"
    allowed = [f"N x K x D = {n} x {k} x {d}"]
    if k == d:
        allowed.insert(0, f"N x D = {n} x {d} (the diagonal of each Jacobian)")
    allowed.append(f"K x D = {k} x {d} (one Jacobian for every row, like W^T)")
    hint = mismatch_hint(J, np.zeros((k, d)), what="gradient()") if J.ndim == 2 else ""
    raise CheckFailure(f"gradient() returned {kind_of(result)}; the assignment allows {' or '.join(allowed)}", hint)


def contract(G, jacobian, form):
    """``G`` (``N x K``) times a ``gradient()`` in ``form`` (see ``GRADIENT_FORMS``): what
    ``backward(G)`` should return, ``N x D``."""
    jacobian = np.asarray(jacobian, dtype=float)
    if form == "N x D":
        return G * jacobian
    if form == "K x D":
        return G @ jacobian
    return np.einsum("nk,nkd->nd", G, jacobian)


def compare(analytic, expected, tolerance, label, floor=0.0, failing_input="", **hint_args):
    """Raise ``CheckFailure`` unless ``analytic`` is within ``tolerance`` (relative error,
    see ``relative_error``) of ``expected``; returns the relative error. ``hint_args`` go to
    ``mismatch_hint``."""
    analytic, expected = np.asarray(analytic, dtype=float), np.asarray(expected, dtype=float)
    if analytic.shape != expected.shape:
        raise CheckFailure(f"{label}: shape {analytic.shape}, expected {expected.shape}",
                           mismatch_hint(analytic, expected, **hint_args), failing_input)
    error = relative_error(analytic, expected, floor)
    if not error < tolerance:
        diff = np.abs(analytic - expected)
        index = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape)
        raise CheckFailure(
            f"{label}: relative error {error:.2e} > {tolerance:.0e}; worst at {list(map(int, index))}: "
            f"{float(analytic[index]):.6g} vs {float(expected[index]):.6g}",
            mismatch_hint(analytic, expected, **hint_args), failing_input)
    return error
