"""``evaluate(..., metrics=[...])``: RMSE, MAPE, SMAPE and accuracy, checked against
scikit-learn's metrics and against the definitions computed entry by entry."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import mean_absolute_percentage_error, mean_squared_error

import graphnn as gn
from graphnn.training.metrics import mape, rmse, smape

finite = st.floats(-1e3, 1e3, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
pairs = st.integers(1, 6).flatmap(lambda n: st.integers(1, 3).flatmap(lambda k: st.tuples(
    arrays(np.float64, (n, k), elements=finite), arrays(np.float64, (n, k), elements=finite))))


@settings(max_examples=60, deadline=None)
@given(pair=pairs)
def test_rmse_and_mape_equal_scikit_learns(pair):
    Y, Yhat = pair
    assert rmse(Y, Yhat) == pytest.approx(math.sqrt(mean_squared_error(Y.ravel(), Yhat.ravel())), rel=1e-12)
    assert mape(Y, Yhat) == pytest.approx(mean_absolute_percentage_error(Y.ravel(), Yhat.ravel()), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(pair=pairs)
def test_smape_is_the_mean_of_its_terms(pair):
    Y, Yhat = pair
    terms = [abs(y - h) / (abs(y) + abs(h)) for y, h in zip(Y.ravel(), Yhat.ravel())]
    assert smape(Y, Yhat) == pytest.approx(sum(terms) / len(terms), rel=1e-12)
    assert 0.0 <= smape(Y, Yhat) <= 1.0


def test_smape_counts_both_zero_as_exact_and_mape_refuses_zero_targets():
    Y, Yhat = np.array([[0.0], [1.0]]), np.array([[0.0], [3.0]])
    assert smape(Y, Yhat) == pytest.approx(0.25)  # (0 + 2/4) / 2
    with pytest.raises(ValueError, match=r"mape: 1 of the 2 targets are 0.*use smape, or rmse"):
        mape(Y, Yhat)


def regression():
    layer = gn.FullyConnectedLayer(2, 1, seed=0)
    layer.setWeights(np.array([[1.0], [2.0]]))
    layer.setBiases(np.array([[0.5]]))
    return gn.Graph.sequential(layer, objective=gn.SquaredError())


def test_evaluate_adds_the_metrics_asked_for():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    Y = np.array([[1.0], [2.0], [4.0]])
    Yhat = X @ np.array([[1.0], [2.0]]) + 0.5  # 1.5, 2.5, 3.5
    result = gn.evaluate(regression(), X, Y, metrics=["rmse", "mape", "smape"])
    assert list(result) == ["loss", "rmse", "mape", "smape"]
    assert result["loss"] == pytest.approx(np.mean((Y - Yhat) ** 2))
    assert result["rmse"] == pytest.approx(0.5)
    assert result["mape"] == pytest.approx((0.5 / 1 + 0.5 / 2 + 0.5 / 4) / 3)
    assert result["smape"] == pytest.approx((0.5 / 2.5 + 0.5 / 4.5 + 0.5 / 7.5) / 3)
    assert gn.evaluate(regression(), X, Y, metrics="rmse")["rmse"] == pytest.approx(0.5)
    assert list(gn.evaluate(regression(), X, Y)) == ["loss"]  # as before without metrics


def test_accuracy_of_a_classifier_and_refused_for_a_regression():
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(1, 1, seed=0), gn.LogisticSigmoidLayer(),
                                objective=gn.LogLoss())
    graph.op("fc1").setWeights(np.array([[10.0]]))
    X, Y = np.array([[-1.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [0.0]])
    assert gn.evaluate(graph, X, Y, metrics=["accuracy"])["accuracy"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="accuracy needs a classifier"):
        gn.evaluate(regression(), np.ones((2, 2)), np.ones((2, 1)), metrics=["accuracy"])


def test_an_unknown_metric_is_named():
    with pytest.raises(ValueError, match=r"unknown metric 'mae'; the metrics are \['rmse', 'mape', 'smape', 'accuracy'\]"):
        gn.evaluate(regression(), np.ones((2, 2)), np.ones((2, 1)), metrics=["mae"])
