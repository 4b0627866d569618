"""Edges of layers and objectives (issue 21): NaN and inf flowing through layers without a
warning, data at the float range, and the exact boundaries of clips, caps and tolerances.

The suite turns warnings into errors (setup.cfg), so every test here also fails on a
RuntimeWarning. Expected values are computed by hand or with Python's math module.
"""
import math

import numpy as np
import pytest

from graphnn import (
    AddLayer, ConcatLayer, CrossEntropy, FullyConnectedLayer, Graph, InputLayer, LinearLayer,
    LogisticSigmoidLayer, LogLoss, ReLULayer, SoftmaxLayer, SquaredError, TanhLayer,
)
from graphnn.objectives.CrossEntropy import ROW_SUM_TOLERANCE
from graphnn.objectives.LogLoss import EPSILON

INF, NAN = np.inf, np.nan
BAD_ROWS = np.array([[INF, 1.0, -2.0], [-INF, 0.5, 1.0], [NAN, 1.0, 0.0], [1e308, -1e308, 3.0]])

SINGLE_INPUT_LAYERS = [
    lambda: FullyConnectedLayer(3, 2, seed=0), LinearLayer, ReLULayer, LogisticSigmoidLayer,
    TanhLayer, SoftmaxLayer,
]


# --- item 2: NaN and inf in a layer's input or gradient flow on quietly ----------------------

@pytest.mark.parametrize("make", SINGLE_INPUT_LAYERS, ids=lambda m: m().describe())
def test_non_finite_input_and_gradient_flow_through_every_layer_without_a_warning(make):
    layer = make()
    out = layer.forward(BAD_ROWS)
    # the NaN row stays non-finite (no layer invents a number for NaN)...
    assert not np.isfinite(out[2]).all()
    grad = layer.backward(np.full(out.shape, INF))  # inf * 0 would warn without the fix
    assert grad.shape == BAD_ROWS.shape
    layer.backward(np.full(out.shape, 1e308))       # overflow would warn without the fix


def test_what_each_activation_makes_of_inf():
    assert np.array_equal(LogisticSigmoidLayer().forward(np.array([[INF]])), [[1.0]])
    assert np.array_equal(TanhLayer().forward(np.array([[-INF, INF]])), [[-1.0, 1.0]])
    assert np.array_equal(ReLULayer().forward(np.array([[-INF, INF]])), [[0.0, INF]])
    assert np.isnan(SoftmaxLayer().forward(np.array([[INF, 1.0], [0.0, 0.0]]))[0]).all()
    assert np.array_equal(SoftmaxLayer().forward(np.array([[-INF, 0.0]])), [[0.0, 1.0]])
    fc = FullyConnectedLayer(2, 1, seed=0)
    fc.setWeights(np.array([[0.0], [1.0]]))
    assert np.isnan(fc.forward(np.array([[INF, 1.0]])))[0, 0]  # inf * 0


def test_add_and_concat_pass_inf_on():
    assert np.isnan(AddLayer().forward(np.array([[INF]]), np.array([[-INF]])))[0, 0]
    add3 = AddLayer(3).forward(np.array([[INF]]), np.array([[1.0]]), np.array([[-INF]]))
    assert np.isnan(add3[0, 0])
    assert np.array_equal(ConcatLayer().forward(np.array([[INF]]), np.array([[NAN]]))[:, :1], [[INF]])


def test_check_finite_names_the_first_layer_that_makes_nan_from_inf_data():
    g = Graph.sequential(FullyConnectedLayer(3, 2, seed=0), SoftmaxLayer())
    with pytest.raises(FloatingPointError, match="node 'X'"):
        g.forward(X=BAD_ROWS, check_finite=True)
    g.forward(X=BAD_ROWS)  # off: flows on, no warning


# --- item 3: InputLayer at the float range ---------------------------------------------------

def test_input_layer_z_scores_data_near_the_float_range():
    data = np.array([[1e308, 1.7e308], [-1e308, 1.7e308], [0.0, 1.7e308]])
    layer = InputLayer(data)
    assert layer.meanX[0, 0] == 0.0 and layer.meanX[0, 1] == pytest.approx(1.7e308, rel=1e-15)
    assert layer.stdX[0, 0] == pytest.approx(1e308, rel=1e-15) and layer.stdX[0, 1] == 0.0
    assert np.allclose(layer.forward(data), [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]], rtol=1e-15, atol=0)
    assert np.allclose(layer.backward(np.ones((3, 2))), [[1e-308, 0.0]] * 3, rtol=1e-12, atol=0)


def test_input_layer_column_wider_than_the_float_range():
    # std = 1.7e308 * sqrt(2) is beyond the range: inf, yet the z-scores and the inverse are right
    data = np.array([[1.7e308], [-1.7e308]])
    layer = InputLayer(data)
    assert layer.stdX[0, 0] == INF
    assert layer.inverse_std[0, 0] == pytest.approx(1 / (1.7e308 * math.sqrt(2)), rel=1e-12)
    assert np.allclose(layer.forward(data), [[1 / math.sqrt(2)], [-1 / math.sqrt(2)]], rtol=1e-15)


def test_input_layer_column_wider_than_the_float_range_with_a_mean_off_zero():
    # mean 1.7e308 / 3, std 1.7e308 * sqrt(4/3) (inf): z-scores (2/3, -4/3, 2/3) / sqrt(4/3)
    data = np.array([[1.7e308], [-1.7e308], [1.7e308]])
    layer = InputLayer(data)
    expected = np.array([[2 / 3], [-4 / 3], [2 / 3]]) / math.sqrt(4 / 3)
    assert np.allclose(layer.forward(data), expected, rtol=1e-14, atol=0)
    assert np.allclose(layer.forward(np.array([[0.0]])), [[-1 / 3 / math.sqrt(4 / 3)]], rtol=1e-14)


def test_input_layer_scales_a_negative_column_by_its_largest_magnitude():
    # the largest magnitude is -low here: scaling by the tiny high would overflow
    data = np.array([[-1e308], [-1e-300]])
    layer = InputLayer(data)
    assert layer.meanX[0, 0] == pytest.approx(-5e307, rel=1e-15)
    assert np.allclose(layer.forward(data), [[-1 / math.sqrt(2)], [1 / math.sqrt(2)]], rtol=1e-14)


def test_input_layer_treats_a_constant_column_as_constant_exactly():
    # numpy's std of seven 0.1 is 1.5e-17 (the mean is not 0.1 to rounding): dividing by it
    # made z-scores of rounding noise before
    data = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    layer = InputLayer(data)
    assert layer.stdX[0, 0] == 0.0 and layer.inverse_std[0, 0] == 0.0
    assert np.array_equal(layer.forward(data)[:, 0], np.zeros(7))


def test_input_layer_of_tiny_data_keeps_its_spread():
    data = np.array([[1e-300], [3e-300]])  # squares underflow to 0 without the scaling
    layer = InputLayer(data)
    assert layer.stdX[0, 0] == pytest.approx(math.sqrt(2) * 1e-300, rel=1e-12)
    assert np.allclose(layer.forward(data), [[-1 / math.sqrt(2)], [1 / math.sqrt(2)]], rtol=1e-12)


def test_input_layer_from_exactly_two_rows_uses_the_sample_std():
    layer = InputLayer(np.array([[1.0, 10.0], [3.0, 10.0]]))
    assert np.array_equal(layer.meanX, [[2.0, 10.0]])
    assert layer.stdX[0, 0] == pytest.approx(math.sqrt(2), rel=1e-15)  # ddof=1: sqrt(2 / 1)
    assert np.allclose(layer.forward(np.array([[1.0, 10.0]])), [[-1 / math.sqrt(2), 0.0]], rtol=1e-15)
    one = InputLayer(np.array([[4.0, -2.0]]))  # one row: no spread at all
    assert np.array_equal(one.forward(np.array([[5.0, 0.0]])), [[0.0, 0.0]])


# --- item 5: SquaredError --------------------------------------------------------------------

def test_squared_error_overflowing_from_finite_values_is_inf_without_a_warning():
    assert SquaredError().eval(np.array([[1e308]]), np.array([[-1e308]])) == INF
    assert np.array_equal(SquaredError().gradient(np.array([[1e308]]), np.array([[-1e308]])), [[-INF]])
    # large but representable: the exact numbers
    assert SquaredError().eval(np.array([[1e150]]), np.array([[-1e150]])) == pytest.approx(4e300, rel=1e-15)


def test_squared_error_gradient_whose_sum_overflows_is_returned_as_is():
    Y = np.array([[1e308, 1e308]])
    grad = SquaredError().gradient(Y, -Y * 0.0)  # -2e308 is -inf; the check then finds finite inputs
    assert np.array_equal(grad, [[-INF, -INF]])
    grad = SquaredError().gradient(np.array([[8e307, 8e307]]), np.zeros((1, 2)))
    assert np.array_equal(grad, [[-1.6e308, -1.6e308]])  # the sum overflows, the entries do not


# --- the boundaries the mutation tests found unpinned ----------------------------------------

@pytest.mark.parametrize("n", [2, 3, 4])  # n <= sizeIn and n > sizeIn take different branches
def test_fully_connected_parameter_gradients_are_column_means(n):
    fc = FullyConnectedLayer(3, 2, seed=0)
    X = np.arange(3.0 * n).reshape(n, 3)
    G = np.arange(2.0 * n).reshape(n, 2) + 1.0
    fc.forward(X)
    fc.backward_parameters(G)
    assert np.allclose(fc.biases.grad, G.mean(axis=0, keepdims=True), rtol=1e-15, atol=0)
    assert np.allclose(fc.weights.grad, X.T @ G / n, rtol=1e-15, atol=0)


def test_log_loss_clips_an_estimate_of_exactly_zero_with_nothing_near_one():
    Y, Yhat = np.array([[1.0], [0.0]]), np.array([[0.0], [0.5]])
    expected = (-math.log(EPSILON) - math.log(0.5)) / 2
    assert LogLoss().eval(Y, Yhat) == pytest.approx(expected, rel=1e-12)
    grad = LogLoss().gradient(Y, Yhat)
    assert grad[0, 0] == pytest.approx(-1 / EPSILON, rel=1e-6) and grad[1, 0] == pytest.approx(2.0, rel=1e-12)


def test_log_loss_clips_an_estimate_of_exactly_one_alone():
    Y, Yhat = np.array([[0.0]]), np.array([[1.0]])
    assert LogLoss().eval(Y, Yhat) == pytest.approx(-math.log(EPSILON), rel=1e-8)
    assert LogLoss().gradient(Y, Yhat)[0, 0] == pytest.approx(1 / EPSILON, rel=1e-8)
    assert EPSILON == 1e-7


def test_log_loss_leaves_estimates_inside_the_clip_untouched():
    Y, Yhat = np.array([[1.0, 0.0]]), np.array([[2 * EPSILON, 1 - 2 * EPSILON]])
    assert LogLoss().eval(Y, Yhat) == pytest.approx(-2 * math.log(2 * EPSILON), rel=1e-8)


def test_relu_backward_at_exactly_zero_agrees_with_its_derivative():
    layer = ReLULayer()
    layer.forward(np.array([[0.0, -0.0, 1e-300, -1e-300]]))
    assert np.array_equal(layer.derivative(), [[0.0, 0.0, 1.0, 0.0]])
    assert np.array_equal(layer.backward(np.full((1, 4), 3.0)), [[0.0, 0.0, 3.0, 0.0]])
    assert np.array_equal(np.einsum("nii->ni", layer.gradient()), layer.derivative())


def test_cross_entropy_row_sum_tolerance_at_its_edge():
    assert ROW_SUM_TOLERANCE == 1e-6
    k = 4
    inside = np.full((1, k), 0.25 + 0.9 * ROW_SUM_TOLERANCE)       # sum 1 + 3.6e-6 < 4e-6
    outside = np.full((1, k), 0.25 + 1.1 * ROW_SUM_TOLERANCE)      # sum 1 + 4.4e-6 > 4e-6
    Yhat = np.full((1, k), 0.25)
    assert CrossEntropy().eval(inside, Yhat) == pytest.approx(-inside.sum() * math.log(0.25), rel=1e-12)
    with pytest.raises(ValueError, match="distribution summing to 1"):
        CrossEntropy().eval(outside, Yhat)
    short = np.full((1, k), 0.25 - 1.1 * ROW_SUM_TOLERANCE)        # below 1 by as much
    with pytest.raises(ValueError, match="distribution summing to 1"):
        CrossEntropy().gradient(short, Yhat)


def test_cross_entropy_raises_estimates_of_zero_to_epsilon():
    from graphnn.objectives.CrossEntropy import EPSILON as CE_EPSILON
    Y, Yhat = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert CrossEntropy().eval(Y, Yhat) == pytest.approx(-math.log(CE_EPSILON), rel=1e-12)
    assert np.array_equal(CrossEntropy().gradient(Y, Yhat), [[-1 / CE_EPSILON, -0.0]])


@pytest.mark.parametrize("dtype, cap", [(np.float64, 707), (np.float32, 86)])
def test_sigmoid_overflow_cap(dtype, cap):
    layer = LogisticSigmoidLayer()
    out = layer.forward(np.array([[-1e4, -float(cap), -float(cap - 1), -float(cap + 1)]], dtype=dtype))
    floor = dtype(1.0) / (dtype(1.0) + np.exp(dtype(cap)))
    assert out[0, 0] == floor and out[0, 1] == floor and out[0, 3] == floor
    assert out[0, 2] == dtype(1.0) / (dtype(1.0) + np.exp(dtype(cap - 1))) and out[0, 2] > floor
    assert floor >= np.finfo(dtype).tiny  # a normal number: no subnormal slowdown later
    assert floor == pytest.approx(math.exp(-cap), rel=1e-6)


# --- items 9 and 10: fit --------------------------------------------------------------------

def diverging_problem():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1000, (20, 3))
    return X, X @ np.array([[1.0], [2.0], [3.0]])


def regression_graph():
    return Graph.sequential(FullyConnectedLayer(3, 1, seed=0), objective=SquaredError())


def test_a_diverging_fit_stops_at_the_first_non_finite_loss_with_the_last_finite_weights():
    from graphnn.training.optim import SGD
    from graphnn.training.fit import fit

    X, Y = diverging_problem()
    g = regression_graph()
    with pytest.raises(FloatingPointError) as info:
        fit(g, X, Y, epochs=100, optimizer=SGD(g.parameters(), lr=0.1), progress=False)
    error = info.value
    completed = error.history.epochs
    assert error.epoch == completed + 1 and 1 < completed < 100
    assert f"at epoch {error.epoch} (minibatch 1 of 1)" in str(error)
    assert f"weights of epoch {completed}" in str(error)
    assert all(math.isfinite(loss) for loss in error.history["loss"])
    # the restored weights are those a run of exactly `completed` epochs ends with
    reference = regression_graph()
    fit(reference, X, Y, epochs=completed, optimizer=SGD(reference.parameters(), lr=0.1), progress=False)
    assert np.array_equal(g.op("fc1").getWeights(), reference.op("fc1").getWeights())
    assert np.isfinite(g.op("fc1").getWeights()).all()


def test_fit_blames_nan_data_not_the_objective():
    from graphnn.training.fit import fit

    X = np.ones((5, 3))
    X[3, 2] = NAN
    g = Graph.sequential(FullyConnectedLayer(3, 1, seed=0), LogisticSigmoidLayer(), objective=LogLoss())
    with pytest.raises(ValueError, match=r"fit: input 'X' \(5 x 3\).*row 3, column 2") as info:
        fit(g, X, np.zeros((5, 1)), epochs=1, progress=False)
    assert "[0, 1]" not in str(info.value)
