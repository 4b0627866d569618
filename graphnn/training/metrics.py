"""Metrics that ``evaluate`` reports beside the loss, each of targets ``Y`` and estimates
``Yhat`` (both ``N x K``), averaged over every entry, as the course defines them:

- ``rmse``: the root mean squared error, ``sqrt(mean((Y - Yhat)^2))``, in ``Y``'s units;
- ``mape``: the mean absolute percentage error, ``mean(|Y - Yhat| / |Y|)``, as a fraction
  (0.05 is 5 %); undefined where a target is 0;
- ``smape``: the symmetric one, ``mean(|Y - Yhat| / (|Y| + |Yhat|))``, in ``[0, 1]``; an
  entry where both are 0 counts as exact (0);
- ``accuracy`` (for classifiers): ``graphnn.training.evaluation.accuracy``.
"""
import numpy as np

__all__ = ["rmse", "mape", "smape", "REGRESSION_METRICS"]


def rmse(Y, Yhat):
    """``sqrt(mean((Y - Yhat)^2))`` over every entry of ``Y`` and ``Yhat`` (``N x K``): a float.

    >>> rmse(np.array([[1.0], [3.0]]), np.array([[2.0], [1.0]]))  # sqrt((1 + 4) / 2)
    1.5811388300841898
    """
    return float(np.sqrt(np.mean((Y - Yhat) ** 2)))


def mape(Y, Yhat):
    """``mean(|Y - Yhat| / |Y|)`` over every entry (``N x K``), a fraction: a float. Raises
    ``ValueError`` when a target is 0, where the percentage error has no value (``smape``
    has one).

    >>> mape(np.array([[2.0], [4.0]]), np.array([[1.0], [5.0]]))  # (1/2 + 1/4) / 2
    0.375
    """
    zero = Y == 0
    if zero.any():
        raise ValueError(
            f"mape: {int(zero.sum())} of the {Y.size} targets are 0, where the percentage error "
            "|Y - Yhat| / |Y| has no value; use smape, or rmse")
    return float(np.mean(np.abs(Y - Yhat) / np.abs(Y)))


def smape(Y, Yhat):
    """``mean(|Y - Yhat| / (|Y| + |Yhat|))`` over every entry (``N x K``), in ``[0, 1]``: a
    float. An entry where ``Y`` and ``Yhat`` are both 0 counts as 0 (exact).

    >>> smape(np.array([[2.0], [0.0]]), np.array([[1.0], [0.0]]))  # (1/3 + 0) / 2
    0.16666666666666666
    """
    scale = np.abs(Y) + np.abs(Yhat)
    both_zero = scale == 0
    terms = np.abs(Y - Yhat) / np.where(both_zero, 1.0, scale)
    return float(np.mean(np.where(both_zero, 0.0, terms)))


#: ``{name: metric(Y, Yhat)}``: the metrics ``evaluate(..., metrics=[...])`` computes for any graph
REGRESSION_METRICS = {"rmse": rmse, "mape": mape, "smape": smape}
