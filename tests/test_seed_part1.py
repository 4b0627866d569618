"""Every number of Part 1 of the seed (assignment 2), typed in from the seed's text.

The expected values below are copied from /work/shared/seed/assignment2.md, never computed by
graphnn. The tolerance is one unit in the last digit the seed prints (the seed rounds some
values and truncates others, e.g. tanh'(6) = 2.45765e-5 is printed 0.000024576). Each check is
made for the two-row H and for each row alone, since the seed asks that layers and objectives
work for one observation and for many.

Single-row expectations of the objectives come from the seed's per-row formulas, evaluated
here with the ``math`` module: e.g. the squared error of row 0 is (0 - 0.2)^2 = 0.04.
"""
import math

import numpy as np
import pytest

from graphnn import (
    CrossEntropy, FullyConnectedLayer, LinearLayer, LogisticSigmoidLayer, LogLoss, ReLULayer,
    SoftmaxLayer, SquaredError, TanhLayer,
)

H = np.array([[1.0, 2.0, 3.0],
              [4.0, 5.0, 6.0]])

IDENTITY = [[1, 0, 0],
            [0, 1, 0],
            [0, 0, 1]]

# Question 1 (b): the seed prints the same matrix for both rows, to 4 decimals.
SOFTMAX_JACOBIAN = [[0.0819, -0.0220, -0.0599],
                    [-0.0220, 0.1848, -0.1628],
                    [-0.0599, -0.1628, 0.2227]]

# Question 1 (c), 8 decimals.
SIGMOID_JACOBIANS = [
    [[0.19661193, 0, 0],
     [0, 0.10499359, 0],
     [0, 0, 0.04517666]],
    [[0.01766271, 0, 0],
     [0, 0.00664806, 0],
     [0, 0, 0.00246651]],
]

# Question 1 (d), 9 decimals.
TANH_JACOBIANS = [
    [[0.419974342, 0, 0],
     [0, 0.070650824, 0],
     [0, 0, 0.009866037]],
    [[0.001340950, 0, 0],
     [0, 0.000181583, 0],
     [0, 0, 0.000024576]],
]

QUESTION_1 = [
    # (part, layer class, [row 0 Jacobian, row 1 Jacobian], absolute tolerance)
    ("a-ReLU", ReLULayer, [IDENTITY, IDENTITY], 0.0),
    # the seed rounds softmax to 4 decimals: within half a unit of the last digit
    ("b-Softmax", SoftmaxLayer, [SOFTMAX_JACOBIAN, SOFTMAX_JACOBIAN], 0.5e-4),
    ("c-LogisticSigmoid", LogisticSigmoidLayer, SIGMOID_JACOBIANS, 1e-8),
    ("d-Tanh", TanhLayer, TANH_JACOBIANS, 1e-9),
    ("e-Linear", LinearLayer, [IDENTITY, IDENTITY], 0.0),
]


@pytest.mark.parametrize("layer_class, expected, atol",
                         [case[1:] for case in QUESTION_1], ids=[case[0] for case in QUESTION_1])
def test_question_1_jacobian_tensor_for_both_rows(layer_class, expected, atol):
    layer = layer_class()
    layer.forward(H)
    tensor = layer.gradient()
    assert tensor.shape == (2, 3, 3)
    np.testing.assert_allclose(tensor, np.array(expected, dtype=float), rtol=0, atol=atol)


@pytest.mark.parametrize("row", (0, 1))
@pytest.mark.parametrize("layer_class, expected, atol",
                         [case[1:] for case in QUESTION_1], ids=[case[0] for case in QUESTION_1])
def test_question_1_jacobian_for_each_row_alone(layer_class, expected, atol, row):
    layer = layer_class()
    layer.forward(H[row:row + 1])
    tensor = layer.gradient()
    assert tensor.shape == (1, 3, 3)
    np.testing.assert_allclose(tensor[0], np.array(expected[row], dtype=float), rtol=0, atol=atol)


def test_question_1_tanh_tolerance_admits_the_seeds_truncated_digits():
    """The seed truncates tanh'(6) = 2.4576547e-5 to 0.000024576: the 1e-9 tolerance must (and
    does) cover the 0.55e-9 this costs, while 1e-10 would not."""
    layer = TanhLayer()
    layer.forward(np.array([[6.0]]))
    value = layer.gradient()[0, 0, 0]
    assert abs(value - 0.000024576) <= 1e-9
    assert abs(value - 0.000024576) > 1e-10


# --- Question 2 ---------------------------------------------------------------------------

W = np.array([[1.0, 2.0],
              [3.0, 4.0],
              [5.0, 6.0]])
B = np.array([[-1.0, 2.0]])
W_TRANSPOSE = [[1, 3, 5],
               [2, 4, 6]]
# H W + b, worked by hand: [1+6+15-1, 2+8+18+2] and [4+15+30-1, 8+20+36+2]
HW_PLUS_B = [[21, 30],
             [48, 66]]


@pytest.mark.parametrize("rows", [slice(0, 2), slice(0, 1), slice(1, 2)], ids=["H", "row0", "row1"])
def test_question_2_fully_connected_gradient_is_W_transpose(rows):
    layer = FullyConnectedLayer(3, 2, seed=0)
    layer.setWeights(W)
    layer.setBiases(B)
    out = layer.forward(H[rows])
    np.testing.assert_array_equal(out, np.array(HW_PLUS_B, dtype=float)[rows])
    np.testing.assert_array_equal(layer.gradient(), np.array(W_TRANSPOSE, dtype=float))


# --- Questions 3 to 6: the objectives ------------------------------------------------------

Y_BINARY = np.array([[0.0], [1.0]])
YHAT_BINARY = np.array([[0.2], [0.3]])
Y_DISTRIBUTIONS = np.array([[1.0, 0.0, 0.0],
                            [0.0, 1.0, 0.0]])
YHAT_DISTRIBUTIONS = np.array([[0.2, 0.2, 0.6],
                               [0.2, 0.7, 0.1]])

# Per-row losses from the seed's formulas, with plain math (not graphnn).
SQUARED_ERROR_ROWS = [(0 - 0.2) ** 2, (1 - 0.3) ** 2]                 # 0.04, 0.49
LOG_LOSS_ROWS = [-math.log(1 - 0.2), -math.log(0.3)]                   # y = 0, then y = 1
CROSS_ENTROPY_ROWS = [-math.log(0.2), -math.log(0.7)]


def check_float(value, expected, atol):
    assert isinstance(value, float)
    assert type(value) is float  # a Python float, not np.float64 (which subclasses float)
    assert value == pytest.approx(expected, rel=0, abs=atol)


def test_question_3a_squared_error():
    check_float(SquaredError().eval(Y_BINARY, YHAT_BINARY), 0.265, 1e-12)


def test_question_3b_log_loss():
    check_float(LogLoss().eval(Y_BINARY, YHAT_BINARY), 0.71356, 1e-5)


def test_question_4_cross_entropy():
    check_float(CrossEntropy().eval(Y_DISTRIBUTIONS, YHAT_DISTRIBUTIONS), 0.983056, 1e-6)


def test_per_row_expectations_average_to_the_seeds_numbers():
    """The single-row expectations below are consistent with the seed's printed means."""
    assert SQUARED_ERROR_ROWS == pytest.approx([0.04, 0.49])
    assert sum(SQUARED_ERROR_ROWS) / 2 == pytest.approx(0.265, abs=1e-12)
    assert sum(LOG_LOSS_ROWS) / 2 == pytest.approx(0.71356, abs=1e-5)
    assert sum(CROSS_ENTROPY_ROWS) / 2 == pytest.approx(0.983056, abs=1e-6)


@pytest.mark.parametrize("row", (0, 1))
def test_questions_3_and_4_for_each_row_alone(row):
    one = slice(row, row + 1)
    check_float(SquaredError().eval(Y_BINARY[one], YHAT_BINARY[one]), SQUARED_ERROR_ROWS[row],
                1e-12)
    check_float(LogLoss().eval(Y_BINARY[one], YHAT_BINARY[one]), LOG_LOSS_ROWS[row], 1e-12)
    check_float(CrossEntropy().eval(Y_DISTRIBUTIONS[one], YHAT_DISTRIBUTIONS[one]),
                CROSS_ENTROPY_ROWS[row], 1e-12)


# Question 5 and 6, as printed. The gradient is per observation (not divided by N), so a row
# alone has that row's gradient.
SQUARED_ERROR_GRADIENT = [[0.4], [-1.4]]
LOG_LOSS_GRADIENT = [[1.25], [-3.3333]]
CROSS_ENTROPY_GRADIENT = [[-5, 0, 0],
                          [0, -1.42857143, 0]]

QUESTIONS_5_AND_6 = [
    ("5a-SquaredError", SquaredError, Y_BINARY, YHAT_BINARY, SQUARED_ERROR_GRADIENT, 1e-12),
    ("5b-LogLoss", LogLoss, Y_BINARY, YHAT_BINARY, LOG_LOSS_GRADIENT, 1e-4),
    ("6-CrossEntropy", CrossEntropy, Y_DISTRIBUTIONS, YHAT_DISTRIBUTIONS, CROSS_ENTROPY_GRADIENT,
     1e-8),
]


@pytest.mark.parametrize("rows", [slice(0, 2), slice(0, 1), slice(1, 2)],
                         ids=["both", "row0", "row1"])
@pytest.mark.parametrize("objective, Y, Yhat, expected, atol",
                         [case[1:] for case in QUESTIONS_5_AND_6],
                         ids=[case[0] for case in QUESTIONS_5_AND_6])
def test_questions_5_and_6_gradients(objective, Y, Yhat, expected, atol, rows):
    gradient = objective().gradient(Y[rows], Yhat[rows])
    expected = np.array(expected, dtype=float)[rows]
    assert gradient.shape == expected.shape
    np.testing.assert_allclose(gradient, expected, rtol=0, atol=atol)
