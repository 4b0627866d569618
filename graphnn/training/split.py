"""``train_validation_split``: hold out part of the rows, class by class, with a seeded
generator (``fit(..., validation_split=f)`` uses it too)."""
import numbers

import numpy as np

from .._validation import as_batch, as_matrix, describe_shape

__all__ = ["train_validation_split"]


def train_validation_split(X, Y, fraction, seed=0, stratify=True):
    """Split ``(X, Y)`` (``N x D``, or any rank with the batch first such as
    ``N x C x H x W``, and ``N x K``) into ``(X_train, Y_train), (X_val, Y_val)``
    with a seeded generator.

    ``fraction`` (in ``(0, 1)``) of the ``N`` rows, rounded to the nearest integer, go to the
    validation part; both parts keep the original row order. With ``stratify=True`` each class
    (each distinct row of ``Y``: a 0/1 column or one-hot rows) is split in the same proportion,
    its validation count being ``fraction * n_class`` rounded so that the counts add up to the
    total (largest remainders first); every class needs at least two rows. Use
    ``stratify=False`` for continuous targets. A ``ValueError`` says what is wrong when the
    rows do not match, ``fraction`` leaves either part empty, or a class is too small.

    >>> X = np.arange(12.0).reshape(6, 2); Y = np.array([[0.], [0.], [0.], [0.], [1.], [1.]])
    >>> (Xt, Yt), (Xv, Yv) = train_validation_split(X, Y, 0.5, seed=0)
    >>> Yt.ravel().tolist(), Yv.ravel().tolist()
    ([0.0, 0.0, 1.0], [0.0, 0.0, 1.0])
    """
    X = as_batch(X, "train_validation_split", "X", ndim=None)
    Y = as_matrix(Y, "train_validation_split", "Y")
    n = X.shape[0]
    if Y.shape[0] != n:
        raise ValueError(
            f"train_validation_split: X and Y must have one row per observation, got "
            f"X {describe_shape(X.shape)} and Y {describe_shape(Y.shape)}"
        )
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        raise ValueError(f"train_validation_split: fraction must lie in (0, 1), got {fraction!r}")
    n_val = int(round(fraction * n))
    if not 0 < n_val < n:
        raise ValueError(
            f"train_validation_split: a fraction of {fraction} of {n} rows leaves "
            f"{n_val} for validation and {n - n_val} for training; both need at least one"
        )
    rng = np.random.default_rng(seed)
    if not stratify:
        chosen = rng.choice(n, size=n_val, replace=False)
    else:
        classes, labels = np.unique(Y, axis=0, return_inverse=True)
        labels = labels.ravel()
        counts = np.bincount(labels, minlength=len(classes))
        if counts.min() < 2:
            smallest = int(np.argmin(counts))
            raise ValueError(
                f"train_validation_split: cannot stratify, target row {classes[smallest].tolist()} "
                f"occurs only {counts[smallest]} time(s) ({len(classes)} distinct target rows in "
                f"{n}); stratifying needs class labels with at least 2 rows each. Pass "
                "stratify=False for continuous targets."
            )
        quotas = counts * (n_val / n)
        per_class = np.floor(quotas).astype(int)
        # Largest remainders first (ties: the earlier class) until the total is n_val.
        order = sorted(range(len(classes)), key=lambda c: -(quotas[c] - per_class[c]))
        for c in order[: n_val - per_class.sum()]:
            per_class[c] += 1
        chosen = np.concatenate([
            rng.choice(np.flatnonzero(labels == c), size=per_class[c], replace=False)
            for c in range(len(classes))
        ])
    is_val = np.zeros(n, dtype=bool)
    is_val[chosen] = True
    return (X[~is_val], Y[~is_val]), (X[is_val], Y[is_val])
