"""The contract of every objective registered in tests/registry.py, plus each one's own checks.

Convention (graphnn.objectives.Objective): ``eval`` is the mean loss over the N observations,
``gradient`` is per observation, so ``gradient == N * d eval / d Yhat``. The contract lives in
``graphnn.grading.checks.check_objective`` (the function teachers run on students' objectives); this
file runs it on every registered objective and adds graphnn's own checks.
"""
import numpy as np
import pytest

from graphnn import CrossEntropy, LogLoss, SquaredError
from graphnn._validation import describe_shape
from graphnn.grading.checks import OBJECTIVE_CHECKS, check_objective
from registry import OBJECTIVE_CASES

CASES = pytest.mark.parametrize("case", OBJECTIVE_CASES,
                                ids=[case.name for case in OBJECTIVE_CASES])
SHAPES = pytest.mark.parametrize("n, k", [(1, 1), (1, 3), (5, 1), (5, 3)])


def rng_for(case, n, k):
    return np.random.default_rng([sum(map(ord, case.name)), n, k])


@CASES
@SHAPES
def test_pairs_from_the_registry_are_valid(case, n, k):
    Y, Yhat = case.make_pair(rng_for(case, n, k), n, k)
    assert Y.shape == Yhat.shape == (n, k)
    assert Y.dtype == Yhat.dtype == np.float64
    if case.name == "LogLoss":
        assert set(np.unique(Y)) <= {0.0, 1.0}
        assert ((Yhat > 0.05) & (Yhat < 0.95)).all()
    if case.name == "CrossEntropy":
        np.testing.assert_allclose(Y.sum(axis=1), 1.0, atol=1e-12)
        assert (Yhat > 0).all() and (Yhat < 1).all()


@CASES
def test_objective_keeps_the_contract(case):
    report = check_objective(case.make, make_pair=case.make_pair, raise_on_failure=True)
    assert [row.name for row in report.rows] == [name for name, _ in OBJECTIVE_CHECKS]
    assert all(row.passed for row in report.rows)


@CASES
@SHAPES
def test_eval_returns_a_python_float(case, n, k):
    Y, Yhat = case.make_pair(rng_for(case, n, k), n, k)
    value = case.make().eval(Y, Yhat)
    assert isinstance(value, float)
    assert type(value) is float  # a Python float, not np.float64 (which subclasses float)
    assert np.isfinite(value)


@CASES
def test_one_dimensional_arrays_are_refused_with_a_reshape_hint(case):
    objective = case.make()
    Y, Yhat = case.make_pair(rng_for(case, 1, 3), 1, 3)
    for args in [(Y[0], Yhat), (Y, Yhat[0]), (Y[0], Yhat[0])]:
        for method in (objective.eval, objective.gradient):
            with pytest.raises(ValueError) as info:
                method(*args)
            assert case.name in str(info.value)
            assert "reshape(1, -1)" in str(info.value)


# --- LogLoss ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [2.0, -0.5])
def test_log_loss_refuses_targets_outside_0_1(bad):
    Y = np.array([[0.0], [bad]])
    Yhat = np.array([[0.2], [0.3]])
    for method in (LogLoss().eval, LogLoss().gradient):
        with pytest.raises(ValueError, match=r"Y \(targets\)") as info:
            method(Y, Yhat)
        assert "LogLoss" in str(info.value) and "row 1" in str(info.value)


def test_log_loss_refuses_estimates_outside_0_1():
    with pytest.raises(ValueError, match=r"Yhat \(estimates\)"):
        LogLoss().eval(np.array([[0.0]]), np.array([[1.5]]))


def test_log_loss_is_finite_at_estimates_of_exactly_0_and_1():
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    Yhat = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # rows 0-1 confidently wrong, row 2 right
    value = LogLoss().eval(Y, Yhat)
    gradient = LogLoss().gradient(Y, Yhat)
    assert isinstance(value, float) and np.isfinite(value)
    assert np.isfinite(gradient).all()
    # confidently wrong costs a lot (-ln 1e-7 ~ 16 per entry), right costs ~nothing
    assert value > 2 * 2 * 15 / 3
    assert LogLoss().eval(Y[2:], Yhat[2:]) < 1e-6
    # wrong estimates are pushed the right way: up where y = 1, down where y = 0
    assert gradient[0, 0] < 0 and gradient[0, 1] > 0


def test_log_loss_works_column_by_column():
    Y = np.array([[0.0, 1.0]])
    Yhat = np.array([[0.2, 0.3]])
    expected = -np.log(0.8) - np.log(0.3)  # the seed's two observations, side by side
    assert LogLoss().eval(Y, Yhat) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(LogLoss().gradient(Y, Yhat), [[1 / 0.8, -1 / 0.3]], rtol=1e-12)


# --- CrossEntropy -----------------------------------------------------------------------------

def test_cross_entropy_names_the_target_row_that_is_not_a_distribution():
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.2, 0.0]])
    Yhat = np.full((3, 3), 1 / 3)
    for method in (CrossEntropy().eval, CrossEntropy().gradient):
        with pytest.raises(ValueError) as info:
            method(Y, Yhat)
        message = str(info.value)
        assert "CrossEntropy" in message and "row 2" in message and "sum" in message


def test_cross_entropy_refuses_negative_targets():
    with pytest.raises(ValueError, match=r"Y \(targets\)"):
        CrossEntropy().eval(np.array([[1.5, -0.5]]), np.array([[0.5, 0.5]]))


def test_cross_entropy_is_finite_at_estimates_of_exactly_0_and_1():
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    Yhat = np.array([[0.0, 1.0], [0.0, 1.0]])  # row 0 confidently wrong, row 1 right
    value = CrossEntropy().eval(Y, Yhat)
    gradient = CrossEntropy().gradient(Y, Yhat)
    assert isinstance(value, float) and np.isfinite(value)
    assert np.isfinite(gradient).all()
    assert value > 15 / 2  # -ln(1e-7) / 2 ~ 8.06
    assert CrossEntropy().eval(Y[1:], Yhat[1:]) == 0.0
    np.testing.assert_array_equal(gradient[1], [0.0, -1.0])
    assert gradient[0, 0] < -1e6 and gradient[0, 1] == 0.0


def test_squared_error_sums_over_columns_and_averages_over_rows():
    Y = np.array([[0.0, 1.0], [2.0, 0.0]])
    Yhat = np.array([[1.0, 1.0], [0.0, 3.0]])
    assert SquaredError().eval(Y, Yhat) == pytest.approx((1 + 0 + 4 + 9) / 2, rel=1e-15)
    np.testing.assert_array_equal(SquaredError().gradient(Y, Yhat), [[2.0, 0.0], [-4.0, 6.0]])
