"""Copies of a graph's weights that ``fit`` keeps to go back to: after a divergence, at the
end of the best epoch (early stopping), after Ctrl-C."""
import numpy as np

__all__ = ["snapshot", "restore", "all_finite"]


def snapshot(params):
    """A copy of each parameter's value, in the order of ``params``."""
    return [p.value.copy() for p in params]


def restore(params, snapshot):
    """Put the values of ``snapshot`` back into ``params`` (the same list it was taken of)."""
    for p, value in zip(params, snapshot):
        p.value[...] = value  # in place: every layer holding the array sees it


def all_finite(snapshot):
    """Whether every value of ``snapshot`` is finite (no NaN, no inf)."""
    return all(np.isfinite(value).all() for value in snapshot)
