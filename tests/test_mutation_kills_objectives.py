"""The objectives' messages, hints and edge values that mutation testing found unchecked
(docs/reliability.md, "Mutation testing"): which hint each wrong shape gets, the swapped
arguments warning of LogLoss, where the clipping starts, and the counts and positions the
messages report. Messages are checked by their key words, not whole sentences."""
import importlib
import os
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import graphnn
from graphnn import CrossEntropy, LogLoss, SquaredError

# the modules (graphnn.objectives exports the classes under the same names)
CrossEntropyModule = importlib.import_module("graphnn.objectives.CrossEntropy")
LogLossModule = importlib.import_module("graphnn.objectives.LogLoss")

OBJECTIVES = pytest.mark.parametrize("objective", [SquaredError(), LogLoss(), CrossEntropy()],
                                     ids=["SquaredError", "LogLoss", "CrossEntropy"])


def message_of(method, *args):
    with pytest.raises(ValueError) as info:
        method(*args)
    return str(info.value)


# --- 1-D targets: the hint follows the estimates' shape ----------------------------------------

@OBJECTIVES
def test_one_d_targets_beside_a_column_of_estimates_are_told_to_be_a_column(objective):
    message = message_of(objective.eval, np.full(4, 0.5), np.full((4, 1), 0.5))
    assert objective.describe() in message and "1-D shape (4,)" in message
    assert "column of 4 targets" in message and "y.reshape(-1, 1)" in message
    assert "reshape(1, -1)" not in message


@OBJECTIVES
def test_one_d_targets_beside_one_row_of_estimates_are_told_to_be_a_row(objective):
    Y = np.array([0.0, 1.0, 0.0]) if objective.describe() != "SquaredError" else np.arange(3.0)
    message = message_of(objective.gradient, Y, np.full((1, 3), 1 / 3))
    assert "(for one observation use y.reshape(1, -1))" in message
    assert "reshape(-1, 1)" not in message


@OBJECTIVES
def test_one_d_targets_beside_1_d_estimates_get_both_readings_column_first(objective):
    message = message_of(objective.eval, np.full(3, 0.5), np.full(3, 0.5))
    column, row = message.index("y.reshape(-1, 1)"), message.index("y.reshape(1, -1)")
    assert column < row and "x." not in message


@OBJECTIVES
def test_one_d_targets_beside_estimates_of_another_length_get_both_readings(objective):
    message = message_of(objective.eval, np.full(3, 0.5), np.full((5, 3), 0.2))
    assert "y.reshape(-1, 1)" in message and "y.reshape(1, -1)" in message
    assert "column of" not in message


def test_one_d_single_target_gets_the_row_reading_only():
    message = message_of(SquaredError().eval, np.array([1.0]), np.array([2.0]))
    assert "y.reshape(1, -1)" in message and "reshape(-1, 1)" not in message


def test_one_d_class_labels_beside_softmax_estimates_are_told_to_be_one_hot():
    labels = np.array([0.0, 2.0, 1.0, 2.0])
    message = message_of(CrossEntropy().eval, labels, np.full((4, 3), 1 / 3))
    assert "looks like 4 class labels" in message and "0..2" in message
    assert "4 x 3" in message and "np.eye(3)[labels.astype(int)]" in message


def test_one_d_labels_of_two_classes_are_told_to_be_one_hot():
    message = message_of(CrossEntropy().eval, np.array([1.0, 0.0, 1.0]), np.full((3, 2), 0.5))
    assert "looks like 3 class labels" in message and "np.eye(2)" in message


@pytest.mark.parametrize("labels, estimates, why", [
    (np.array([0.0, 3.0, 1.0]), (3, 3), "3 is not a class of 3"),
    (np.array([0.0, -1.0, 1.0]), (3, 3), "a negative label"),
    (np.array([0.0, 0.5, 1.0]), (3, 3), "not integers"),
    (np.array([0.0, 1.0, 1.0]), (3, 1), "one estimate column: no classes to pick"),
    (np.zeros(3), (3, 1), "one estimate column, even for labels all 0"),
    (np.array([0.0, 1.0]), (3, 2), "one label per estimate row is needed"),
])
def test_one_d_targets_that_are_not_labels_of_the_estimates_get_the_reshape_hint(labels, estimates,
                                                                                  why):
    message = message_of(CrossEntropy().eval, labels, np.full(estimates, 0.5))
    assert "class labels" not in message and "np.eye" not in message, why
    assert "reshape" in message


# --- 2-D targets of another shape: CrossEntropy says what it needs -----------------------------

def test_a_column_of_labels_beside_softmax_estimates_is_told_to_be_one_hot():
    message = message_of(CrossEntropy().gradient, np.array([[0.0], [2.0]]), np.full((2, 3), 1 / 3))
    assert "must have one shape" in message and "Y 2 x 1 and Yhat 2 x 3" in message
    assert "looks like class labels" in message and "0..2" in message
    assert "np.eye(3)[labels.ravel().astype(int)]" in message


def test_a_column_of_labels_beside_two_class_estimates_is_told_to_be_one_hot():
    message = message_of(CrossEntropy().eval, np.array([[0.0], [1.0]]), np.full((2, 2), 0.5))
    assert "looks like class labels" in message and "np.eye(2)" in message


def test_a_column_of_non_labels_beside_softmax_estimates_is_told_about_distributions():
    message = message_of(CrossEntropy().eval, np.array([[0.5], [0.5]]), np.full((2, 3), 1 / 3))
    assert "compares distributions" in message and "3 entries" in message
    assert "class labels" not in message


@pytest.mark.parametrize("Y, Yhat", [
    (np.array([[0.0], [1.0], [1.0]]), np.full((2, 3), 1 / 3)),   # rows differ
    (np.array([[1.0, 0.0], [0.0, 1.0]]), np.full((2, 3), 1 / 3)),  # Y has two columns
    (np.array([[0.0, 1.0]]), np.full((1, 1), 0.5)),                # one estimate column
])
def test_other_shape_mismatches_get_no_cross_entropy_hint(Y, Yhat):
    message = message_of(CrossEntropy().eval, Y, Yhat)
    assert "must have one shape" in message
    assert message.endswith(f"Yhat {Yhat.shape[0]} x {Yhat.shape[1]}")  # nothing added


@pytest.mark.parametrize("objective", [SquaredError(), LogLoss()], ids=["SquaredError", "LogLoss"])
def test_other_objectives_add_nothing_to_a_shape_mismatch(objective):
    message = message_of(objective.eval, np.array([[0.0], [1.0]]), np.full((2, 3), 0.5))
    assert message.endswith("got Y 2 x 1 and Yhat 2 x 3")


@OBJECTIVES
def test_arrays_without_columns_are_refused(objective):
    message = message_of(objective.eval, np.zeros((3, 0)), np.zeros((3, 0)))
    assert "3 x 0" in message and "without columns" in message


@OBJECTIVES
def test_targets_take_the_estimates_dtype(objective):
    Y = np.array([[1.0, 0.0]])
    Yhat = np.array([[0.75, 0.25]], dtype=np.float32)
    assert objective.gradient(Y, Yhat).dtype == np.float32
    assert objective.gradient(Y.astype(np.float32), Yhat.astype(np.float64)).dtype == np.float64


@OBJECTIVES
def test_non_array_arguments_name_the_objective_and_the_array(objective):
    name = objective.describe()
    message = message_of(objective.eval, [[0.5, "x"]], np.full((1, 2), 0.5))
    assert message.startswith(f"{name}: Y (targets) must be numeric")
    message = message_of(objective.eval, np.full((1, 2), 0.5), [[0.5, "x"]])
    assert message.startswith(f"{name}: Yhat (estimates) must be numeric")


@OBJECTIVES
def test_lists_and_integers_are_accepted_as_floats(objective):
    value = objective.eval([[1, 0]], [[1, 0]])
    assert value == pytest.approx(0.0, abs=1e-6)


# --- [0, 1] checks: how many entries, the first, and NaN -----------------------------------------

@pytest.mark.parametrize("objective", [LogLoss(), CrossEntropy()], ids=["LogLoss", "CrossEntropy"])
def test_out_of_range_entries_are_counted_and_the_first_is_located(objective):
    Yhat = np.full((3, 2), 0.5)
    Yhat[1, 1], Yhat[2, 0] = 1.5, -0.25
    message = message_of(objective.eval, np.array([[1.0, 0.0]] * 3), Yhat)
    assert "Yhat (estimates) must lie in [0, 1]" in message
    assert "2 entries do not" in message and "row 1, column 1 (1.5)" in message


@pytest.mark.parametrize("objective", [LogLoss(), CrossEntropy()], ids=["LogLoss", "CrossEntropy"])
@pytest.mark.parametrize("edge", [0.0, 1.0])
def test_the_ends_of_0_1_are_inside(objective, edge):
    Y = np.array([[edge, 1.0 - edge]])
    assert np.isfinite(objective.eval(Y, np.array([[edge, 1.0 - edge]])))


@pytest.mark.parametrize("objective", [LogLoss(), CrossEntropy()], ids=["LogLoss", "CrossEntropy"])
def test_nan_is_outside_0_1(objective):
    Yhat = np.array([[0.5, np.nan]])
    message = message_of(objective.eval, np.array([[1.0, 0.0]]), Yhat)
    assert "1 entries do not" in message and "row 0, column 1 (nan)" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("where", ["Y (targets)", "Yhat (estimates)"])
def test_squared_error_names_the_array_holding_nan_or_inf(bad, where):
    Y, Yhat = np.zeros((2, 2)), np.zeros((2, 2))
    (Y if where.startswith("Y ") else Yhat)[1, 0] = bad
    for method in (SquaredError().eval, SquaredError().gradient):
        message = message_of(method, Y, Yhat)
        assert where in message and "row 1, column 0" in message and "1 NaN or inf" in message


def test_squared_error_of_finite_values_that_overflow_is_inf_without_an_error():
    Y, Yhat = np.array([[1e200]]), np.array([[-1e200]])
    assert SquaredError().eval(Y, Yhat) == np.inf
    Y, Yhat = np.array([[1e308]]), np.array([[-1e308]])
    assert SquaredError().gradient(Y, Yhat)[0, 0] == -np.inf


# --- clipping ---------------------------------------------------------------------------------

def test_log_loss_clips_to_epsilon_and_one_minus_epsilon():
    eps = LogLossModule.EPSILON
    assert eps == 1e-7
    Y = np.array([[1.0], [0.0]])
    gradient = LogLoss().gradient(Y, np.array([[0.0], [1.0]]))
    np.testing.assert_allclose(gradient[:, 0], [-1 / eps, 1 / eps], rtol=1e-6)
    value = LogLoss().eval(Y, np.array([[0.0], [1.0]]))
    assert value == pytest.approx(-np.log(eps), rel=1e-6)


def test_log_loss_leaves_estimates_inside_the_clip_range_alone():
    eps = LogLossModule.EPSILON
    Yhat = np.array([[eps], [1 - eps]])
    Y = np.array([[1.0], [0.0]])
    expected = (Yhat - Y) / (Yhat * (1 - Yhat))
    np.testing.assert_array_equal(LogLoss().gradient(Y, Yhat), expected)
    # just outside on both sides: clipped to the bounds
    outside = np.array([[eps / 2], [1 - eps / 2]])
    np.testing.assert_array_equal(LogLoss().gradient(Y, outside), expected)


def test_cross_entropy_raises_estimates_to_epsilon_only():
    eps = CrossEntropyModule.EPSILON
    Y = np.array([[1.0, 0.0]])
    np.testing.assert_array_equal(CrossEntropy().gradient(Y, np.array([[0.0, 1.0]])), [[-1 / eps, -0.0]])
    assert CrossEntropy().eval(Y, np.array([[0.0, 1.0]])) == pytest.approx(-np.log(eps))


# --- LogLoss: swapped arguments ---------------------------------------------------------------

def test_log_loss_warns_when_labels_and_probabilities_look_swapped():
    labels = np.array([[1.0], [0.0]])
    probabilities = np.array([[0.9], [0.2]])
    for method in (LogLoss().eval, LogLoss().gradient):
        with pytest.warns(UserWarning, match=r"are the arguments swapped\?") as record:
            method(probabilities, labels)
        message = str(record[0].message)
        assert message.startswith("LogLoss: ") and "eval(Y, Yhat)" in message
        # which argument is which, and the line to write in a Graph (copied as it stands)
        assert "(Yhat, the second argument)" in message and "(Y, the first)" in message
        assert "g.add(LogLoss(), target, estimate)" in message


PACKAGE = Path(graphnn.__file__).resolve().parent


def assert_blamed_on_this_file(warning):
    """A warning points at the line of the caller outside graphnn: this file. Under mutmut,
    whose trampolines (frames of its own) sit between graphnn's functions, at least outside
    graphnn and numpy."""
    if "MUTANT_UNDER_TEST" in os.environ:
        path = Path(warning.filename).resolve()
        assert PACKAGE not in path.parents and "numpy" not in path.parts, warning.filename
    else:
        assert warning.filename == __file__, warning.filename


def test_the_swapped_arguments_warning_points_at_the_callers_line():
    labels, probabilities = np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]])
    for method in (LogLoss().eval, LogLoss().gradient):
        with pytest.warns(UserWarning, match="swapped") as record:
            method(probabilities, labels)
        assert_blamed_on_this_file(record[0])
    g = graphnn.Graph()
    g.input("P")
    g.input("L")
    g.add(LogLoss(), "P", "L", name="loss")
    for _ in range(3):  # the first passes run the spine, later ones the compiled program
        with pytest.warns(UserWarning, match="swapped") as record:
            g.forward(P=probabilities, L=labels)
        assert_blamed_on_this_file(record[0])


@pytest.mark.parametrize("Y, Yhat", [
    (np.array([[0.9], [0.2]]), np.array([[1.0], [0.5]])),  # an estimate strictly inside
    (np.array([[1.0], [0.2]]), np.array([[1.0], [0.0]])),  # a target at 1
    (np.array([[0.0], [0.2]]), np.array([[1.0], [0.0]])),  # a target at 0
    (np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]])),  # right order, labels both
])
def test_log_loss_does_not_warn_otherwise(Y, Yhat):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogLoss().eval(Y, Yhat)
        LogLoss().gradient(Y, Yhat)


# --- CrossEntropy: rows that are not distributions --------------------------------------------

def test_cross_entropy_counts_the_rows_that_miss_one_and_reports_the_first_sum():
    Y = np.array([[1.0, 0.0], [0.25, 0.25], [1.0, 0.0], [0.5, 0.0]])
    message = message_of(CrossEntropy().eval, Y, np.full((4, 2), 0.5))
    assert "2 rows do not" in message
    assert message.endswith("row 1 (sum 0.5)")  # no hint for rows of several columns


def test_cross_entropy_row_sum_tolerance_grows_with_the_number_of_columns():
    tolerance = CrossEntropyModule.ROW_SUM_TOLERANCE
    K = 4
    inside = np.array([[1.0 - 0.9 * tolerance * K, 0.0, 0.0, 0.0]])
    outside = np.array([[1.0 - 1.1 * tolerance * K, 0.0, 0.0, 0.0]])
    Yhat = np.full((1, K), 0.25)
    CrossEntropy().eval(inside, Yhat)  # accepted
    assert "summing to 1" in message_of(CrossEntropy().eval, outside, Yhat)


def test_cross_entropy_tells_a_single_column_of_zeros_and_ones_to_use_log_loss():
    message = message_of(CrossEntropy().gradient, np.array([[1.0], [0.0]]), np.full((2, 1), 0.5))
    assert "row 1 (sum 0.0); a single column is not a distribution" in message
    assert "for class labels use one-hot targets" in message and message.endswith("LogLoss")


def test_cross_entropy_fused_gradient_scales_by_the_row_sum():
    Y = np.array([[0.5, 0.5 - 1e-7]])
    Yhat = np.array([[0.25, 0.75]])
    expected = Yhat * Y.sum() - Y
    np.testing.assert_allclose(CrossEntropy().fused_gradient(Y, Yhat), expected, rtol=0, atol=1e-15)


def test_the_base_fused_gradient_is_yhat_minus_y():
    Y, Yhat = np.array([[1.0, 0.0]]), np.array([[0.25, 0.5]])
    np.testing.assert_array_equal(LogLoss().fused_gradient(Y, Yhat), [[-0.75, 0.5]])


@OBJECTIVES
def test_repr_and_describe_name_the_class(objective):
    name = type(objective).__name__
    assert objective.describe() == name and repr(objective) == f"<{name}>"


def fake_frame(module, back=None, filename="x.py"):
    """A stand-in for a frame: what ``_caller_outside_graphnn`` reads of one."""
    f_globals = {} if module is None else {"__name__": module}
    return SimpleNamespace(f_globals=f_globals, f_code=SimpleNamespace(co_filename=filename),
                           f_back=back)


def test_the_warnings_caller_is_the_first_frame_outside_graphnn_and_numpy():
    # Checked on stand-in frames too: under mutmut, its own frames sit between graphnn's.
    user = fake_frame("__main__")
    program = fake_frame(None, fake_frame("numpy._core._ufunc_config", user), "<graphnn program>")
    warns = fake_frame("graphnn.objectives.LogLoss", fake_frame("graphnn.core.graph", program))
    assert LogLossModule._caller_outside_graphnn(warns) == 5
    assert LogLossModule._caller_outside_graphnn(fake_frame("graphnn.x", user)) == 2
    assert LogLossModule._caller_outside_graphnn(fake_frame("graphnnx", user)) == 1  # not graphnn
    assert LogLossModule._caller_outside_graphnn(fake_frame(None, user, "<string>")) == 1
