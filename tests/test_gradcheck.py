"""graphnn.grading.gradcheck pinned down: the error measure, the noise floor, the step and the
tolerance actually used, the data types it accepts, and the report's table.

Expected values are computed here by hand from the definitions in the docstrings, never read
off the module's own output.
"""
import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.gradcheck import (
    DEFAULT_EPS, DEFAULT_TOLERANCE, ROUNDING_UNITS, GradcheckReport, gradcheck, noise_floor,
    numerical_gradient, relative_error,
)

MACHINE_EPS = np.finfo(np.float64).eps


# --- relative_error ---------------------------------------------------------------------------

def test_relative_error_divides_the_worst_difference_by_the_largest_entry_of_either():
    assert relative_error([[1.0, 2.0]], [[1.0, 2.5]]) == 0.5 / 2.5
    assert relative_error([[4.0]], [[2.0]]) == 0.5  # the analytic one is the larger
    assert relative_error([[2.0]], [[4.0]]) == 0.5  # the numeric one is the larger


def test_relative_error_uses_magnitudes_for_negative_gradients():
    assert relative_error([[-4.0, 0.0]], [[-2.0, 0.0]]) == 0.5
    assert relative_error([[1.0]], [[-1.0]]) == 2.0


def test_relative_error_reads_lists_and_integers():
    assert relative_error([[1, 2]], [[1, 3]]) == pytest.approx(1 / 3, rel=1e-15)


def test_relative_error_below_the_floor_is_judged_against_the_floor():
    assert relative_error([[1e-6]], [[2e-6]], floor=1.0) == pytest.approx(1e-6, rel=1e-12)
    # a floor below the gradient's scale changes nothing
    assert relative_error([[1e-6]], [[2e-6]], floor=1e-9) == pytest.approx(0.5, rel=1e-12)


def test_relative_error_of_two_zero_gradients_is_zero():
    assert relative_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert relative_error(np.zeros((2, 3)), np.zeros((2, 3)), floor=1e-3) == 0.0
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


# --- noise_floor ------------------------------------------------------------------------------

def test_noise_floor_is_the_rounding_of_J_over_the_step_and_the_tolerance():
    unit = ROUNDING_UNITS * MACHINE_EPS
    assert ROUNDING_UNITS == 10
    assert noise_floor(0.5) == pytest.approx(unit / 1e-6 / 1e-6, rel=1e-12)  # |J| <= 1 counts as 1
    assert noise_floor(0.5) == pytest.approx(2.22e-3, rel=1e-3)              # the docstring's number
    assert noise_floor(-40.0) == pytest.approx(40 * unit / 1e-12, rel=1e-12)  # |J| > 1 scales it
    assert noise_floor(3.0, eps=1e-5, tolerance=1e-4) == pytest.approx(3 * unit / 1e-5 / 1e-4, rel=1e-12)
    assert isinstance(noise_floor(1.0), float)


# --- numerical_gradient -----------------------------------------------------------------------

def test_numerical_gradient_uses_the_given_step():
    # The central difference of x^3 is exactly 3 x^2 + h^2: the step shows in the result.
    x = np.array([[1.0, 2.0]])

    def cube():
        return float((x ** 3).sum())

    assert np.allclose(numerical_gradient(cube, x, eps=1e-2), [[3.0001, 12.0001]], rtol=0, atol=1e-10)
    assert np.allclose(numerical_gradient(cube, x), [[3.0, 12.0]], rtol=0, atol=1e-8)
    assert DEFAULT_EPS == 1e-6


def test_numerical_gradient_restores_the_array_even_when_f_raises():
    x = np.array([[1.0, 2.0]])
    calls = []

    def explodes():
        calls.append(x.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        numerical_gradient(explodes, x, eps=0.5)
    assert np.array_equal(calls[0], [[1.5, 2.0]]) and np.array_equal(calls[1], [[0.5, 2.0]])
    assert np.array_equal(x, [[1.0, 2.0]])


def test_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(ValueError, match="float64.*int64"):
        numerical_gradient(lambda: 0.0, np.ones((2, 2), dtype=np.int64))


# --- gradcheck --------------------------------------------------------------------------------

class ScaledTanh(gn.TanhLayer):
    """tanh whose backward is off by ``factor``: a known wrong gradient."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def backward(self, gradIn):
        return super().backward(gradIn) * self.factor


def tanh_graph(layer=None):
    g = gn.Graph()
    g.input("X", requires_grad=False)
    g.input("Y")
    g.add(gn.FullyConnectedLayer(2, 2, seed=1), "X", name="fc")
    g.add(layer or gn.TanhLayer(), "fc", name="act")
    g.add(gn.SquaredError(), "Y", "act", name="loss")
    return g


FEED = {"X": np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]), "Y": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])}


def big_weights(g):
    g.op("fc").setWeights(np.array([[0.8, -1.1], [0.6, 0.9]]))
    return g


def test_gradcheck_checks_every_parameter_and_the_data_but_not_the_targets():
    g = big_weights(tanh_graph())
    report = gradcheck(g, FEED)
    assert [(node, what) for node, what, _ in report.rows] == [
        ("X", "input"), ("fc", "weights"), ("fc", "biases")]
    assert report.passed and bool(report) and report.worst < 1e-8
    assert report.tolerance == DEFAULT_TOLERANCE == 1e-6
    assert g.requires_grad("X") is False  # restored
    assert g.value("loss") == pytest.approx(gn.SquaredError().eval(FEED["Y"], np.tanh(
        FEED["X"] @ g.op("fc").getWeights() + g.op("fc").getBiases())), rel=1e-15)


def test_gradcheck_finds_a_wrong_backward_and_the_tolerance_decides():
    report = gradcheck(big_weights(tanh_graph(ScaledTanh(1.01))), FEED)
    assert not report.passed and not bool(report)
    # every gradient below the tanh is 1.01 times too large: error 0.01 / 1.01 of the scale
    assert report.worst == pytest.approx(0.01 / 1.01, rel=1e-4)
    lenient = gradcheck(big_weights(tanh_graph(ScaledTanh(1.01))), FEED, tolerance=0.1)
    assert lenient.passed and lenient.tolerance == 0.1
    assert lenient.worst == pytest.approx(report.worst, rel=1e-6)


def test_gradcheck_differences_with_the_given_step():
    # tanh's third derivative makes the truncation error ~ eps^2: visible at eps = 1e-2 only.
    coarse = gradcheck(big_weights(tanh_graph()), FEED, eps=1e-2)
    fine = gradcheck(big_weights(tanh_graph()), FEED)
    assert 1e-7 < coarse.worst < 1e-3
    assert fine.worst < 1e-8


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_gradcheck_reads_integer_and_float32_data_without_touching_it(dtype):
    X = np.array([[1, -2], [3, 0], [-1, 2]]).astype(dtype)
    Y = np.array([[1, 0], [0, 1], [1, 1]]).astype(dtype)
    kept = X.copy(), Y.copy()
    report = gradcheck(big_weights(tanh_graph()), {"X": X, "Y": Y})
    assert report.passed and report.worst < 1e-8
    assert X.dtype == dtype and np.array_equal(X, kept[0]) and np.array_equal(Y, kept[1])


def test_gradcheck_with_a_loss_far_above_one():
    # |J| ~ 1e4: the noise floor grows with |J|, the check still passes a right gradient and
    # still fails a wrong one
    Y = FEED["Y"] * 100.0
    g = big_weights(tanh_graph())
    report = gradcheck(g, {"X": FEED["X"], "Y": Y})
    assert g.value("loss") > 1e4
    assert report.passed
    assert not gradcheck(big_weights(tanh_graph(ScaledTanh(1.001))), {"X": FEED["X"], "Y": Y}).passed


def test_gradcheck_judges_small_gradients_against_the_noise_floor_of_its_own_step_and_tolerance():
    # Data of 1e-7 make the weights' gradient ~1e-6, below every floor in play, so the reported
    # error is (difference) / floor, and the floor is noise_floor(J, eps, tolerance) with this
    # call's J (~100), eps and tolerance: any other floor gives another number.
    X = FEED["X"] * 1e-7
    Y = FEED["Y"] * 10.0
    eps, tolerance = 1e-5, 1e-4
    g = big_weights(tanh_graph())
    report = gradcheck(g, {"X": X, "Y": Y}, eps=eps, tolerance=tolerance)
    weights_error = dict(((node, what), e) for node, what, e in report.rows)[("fc", "weights")]

    reference = big_weights(tanh_graph())
    feed = {"X": X.copy(), "Y": Y.copy()}
    J = reference.forward(feed)
    reference.backward()
    analytic = reference.op("fc").weights.grad.copy()
    assert 1e-8 < np.abs(analytic).max() < 1e-5 and J > 50
    numeric = numerical_gradient(lambda: reference.forward(feed), reference.op("fc").weights.value, eps)
    floor = noise_floor(J, eps, tolerance)
    expected = relative_error(analytic, numeric, floor)
    assert expected > 0
    assert weights_error == pytest.approx(expected, rel=1e-6)
    assert report.passed and report.tolerance == tolerance


# --- the report -------------------------------------------------------------------------------

def test_report_table_renders_every_row_and_flags_the_failures():
    report = GradcheckReport([("fc", "weights", 1.5e-9), ("longname_node", "input", 2e-3)], 1e-6)
    assert str(report) == (
        "node           checked  relative error\n"
        "fc             weights  1.50e-09\n"
        "longname_node  input    2.00e-03  <-- FAILS\n"
        "FAILED: worst relative error 2.00e-03 (not below the tolerance 1e-06)"
    )
    assert repr(report) == str(report)
    assert report.worst == 2e-3 and report.passed is False


def test_report_that_passes_says_so():
    report = GradcheckReport([("a", "biases", 3e-8)], 1e-6)
    assert str(report) == (
        "node  checked  relative error\n"
        "a     biases   3.00e-08\n"
        "PASSED: worst relative error 3.00e-08 (below the tolerance 1e-06)"
    )
    assert report.passed is True


def test_report_error_equal_to_the_tolerance_fails():
    report = GradcheckReport([("a", "input", 1e-6)], 1e-6)
    assert not report.passed
    assert str(report).splitlines()[1].endswith("<-- FAILS")


def test_report_without_rows_passes_with_worst_zero():
    report = GradcheckReport([], 1e-6)
    assert report.worst == 0.0 and report.passed
    assert str(report) == (
        "node  checked  relative error\n"
        "PASSED: worst relative error 0.00e+00 (below the tolerance 1e-06)"
    )
