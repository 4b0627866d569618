"""Finite-difference gradients, the reference every analytic gradient is checked against.

Central differences in float64, as PyTorch's ``gradcheck`` does:
``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, with truncation error ``O(eps^2)``.
"""
import numpy as np

#: step for central differences in float64: balances truncation (eps^2) and rounding (1e-16/eps)
DEFAULT_EPS = 1e-6


def numerical_gradient(f, x, eps=DEFAULT_EPS):
    """``df/dx`` by central differences, an array shaped like ``x``.

    ``f()`` takes no argument and returns a float computed from the array ``x``, which is
    perturbed in place one entry at a time and restored afterwards (so ``x`` may be a
    parameter's value that ``f`` reads). ``x`` must be float64.
    """
    if x.dtype != np.float64:
        raise ValueError(f"numerical_gradient: x must be float64 for accurate differences, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """``max |a - n| / max(max |a|, max |n|)``: the worst error relative to the gradient's scale.

    Measured against the largest entry rather than entry by entry, so that entries that are
    zero in exact arithmetic do not turn rounding noise into huge ratios. Two all-zero arrays
    give 0.
    """
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    error = float(np.max(np.abs(analytic - numeric), initial=0.0))
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric), initial=0.0)))
    return error / scale if scale > 0 else error
