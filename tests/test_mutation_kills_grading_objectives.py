"""check_objective row by row, on student objectives that each hold one mistake: the numbers,
hints and conventions of every check, the thresholds they turn on (a class just inside and one
just outside), and the seed's worked numbers. Also ``reference_for`` and ``seed_agrees``.

The classes are named as the seed names them (``SquaredError``, ``CrossEntropy``, ``LogLoss``)
so that the kit compares them with graphnn's own and with the seed's answers.
"""
import functools

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.checks import check_objective
from graphnn.grading.reference import (REFERENCE_LAYERS, REFERENCE_OBJECTIVES, SEED_OBJECTIVES, SEED_TOLERANCE,
                                       reference_for, seed_agrees)

SHAPES = "1 x 1, 1 x 3, 5 x 1, 5 x 3"
BINARY_HINT = ("this is the binary cross entropy (log loss): the cross entropy of distributions is "
               "-mean_n sum_k y log(yhat), without the (1 - y) log(1 - yhat) term")
ENTRIES_HINT = ("np.mean over every entry divides by K too: the cross entropy sums over the K classes, "
                "then averages over the N observations")
SUM_HINT = "a sum over the observations: the seed's objective is their mean (a missing 1/N)"
FACTOR_HINT = "gradient is about {} times the finite differences everywhere: is a factor of the local derivative missing?"


def checked(name, Y, Yhat):
    Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
    if Y.ndim != 2 or Y.shape != Yhat.shape:
        raise ValueError(f"{name}: Y {Y.shape} and Yhat {Yhat.shape} must be one N x K shape")
    return Y, Yhat


class SquaredError:
    """The seed's squared error as a student writes it; ``mistake`` picks one error."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def eval(self, Y, Yhat):
        Y, Yhat = checked("SquaredError", Y, Yhat)
        if self.mistake in ("entries, gradient over K", "entries, gradient over N"):
            return float(np.mean((Y - Yhat) ** 2))
        if self.mistake == "absolute":
            return float(np.mean(np.abs(Y - Yhat).sum(axis=1)))
        scale = {"scaled 5e-5": 1 + 5e-5, "scaled 2e-4": 1 + 2e-4}.get(self.mistake, 1.0)
        return scale * float(np.mean(((Y - Yhat) ** 2).sum(axis=1)))

    def gradient(self, Y, Yhat):
        Y, Yhat = checked("SquaredError", Y, Yhat)
        n, k = Y.shape
        if self.mistake == "entries, gradient over K":
            return -2 * (Y - Yhat) / k
        if self.mistake in ("entries, gradient over N", "divided by N"):
            return -2 * (Y - Yhat) / n
        if self.mistake == "absolute":
            return -np.sign(Y - Yhat)
        if self.mistake == "sign":
            return 2 * (Y - Yhat)
        if self.mistake == "times K for batches":
            return -2 * (Y - Yhat) * (k if n > 1 else 1)
        scale = {"scaled 5e-5": 1 + 5e-5, "scaled 2e-4": 1 + 2e-4}.get(self.mistake, 1.0)
        return -2 * scale * (Y - Yhat)


class CrossEntropy:
    def __init__(self, mistake=None):
        self.mistake = mistake

    def eval(self, Y, Yhat):
        Y, Yhat = checked("CrossEntropy", Y, Yhat)
        if self.mistake == "binary":
            return float(np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)).sum(axis=1)))
        if self.mistake == "binary over entries":
            return float(np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat))))
        if self.mistake == "entries":
            return float(np.mean(-(Y * np.log(Yhat))))
        return float(np.mean(-(Y * np.log(Yhat)).sum(axis=1)))

    def gradient(self, Y, Yhat):
        Y, Yhat = checked("CrossEntropy", Y, Yhat)
        if self.mistake in ("binary", "binary over entries"):
            return -(Y - Yhat) / (Yhat * (1 - Yhat))
        if self.mistake == "entries":
            return -Y / Yhat / Y.shape[1]
        return -Y / Yhat


class LogLoss:
    """Log loss with ``log(Yhat + 1e-7)`` against log of zero, as students write it."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def eval(self, Y, Yhat):
        Y, Yhat = checked("LogLoss", Y, Yhat)
        loss = -(Y * np.log(Yhat + 1e-7) + (1 - Y) * np.log(1 - Yhat + 1e-7)).sum(axis=1)
        return float(loss.sum() if self.mistake == "sum" else loss.mean())

    def gradient(self, Y, Yhat):
        Y, Yhat = checked("LogLoss", Y, Yhat)
        gradient = -(Y - Yhat) / (Yhat * (1 - Yhat))
        return gradient * len(Y) if self.mistake == "sum" else gradient


def report_of(cls, mistake, **kwargs):
    return check_objective(lambda: cls(mistake), **kwargs)


def row(report, name):
    return report[name].passed, report[name].numbers, report[name].hint


# ---------------------------------------------------------------------------- a right objective
def test_a_right_squared_error_passes_every_row_with_its_numbers():
    report = report_of(SquaredError, None)
    assert report.passed and report.failed == [] and report.advice == []
    assert report.conventions == {"eval": "mean over N"}
    assert report["eval is one float"].numbers == f"one finite float for {SHAPES}"
    assert report["gradient shape"].numbers == f"N x K for {SHAPES}"
    numbers = report["gradient vs central differences"].numbers
    assert numbers.startswith(f"eval a mean over N; {SHAPES}: worst relative error ")
    assert float(numbers.rsplit(" ", 1)[1]) < 1e-8
    assert report["mean of the rows"].numbers == \
        "eval of 5 x 3 = mean of its rows alone, gradient = its rows alone stacked"
    numbers = report["same values as graphnn"].numbers
    assert numbers.startswith(f"eval and gradient vs graphnn's SquaredError ({SHAPES}): worst relative error ")
    assert float(numbers.rsplit(" ", 1)[1]) < 1e-12
    assert report["seed's worked numbers"].numbers == "Q3a/Q5a: eval 0.265 and the gradient are the seed's answers"
    assert report["arguments unchanged"].numbers == \
        f"Y and Yhat identical after eval and gradient ({SHAPES}, and estimates of 0 and 1)"
    assert report["estimates at 0 and 1"].numbers == "estimates of exactly 0 and 1: eval and gradient finite, no warnings"
    assert report["wrong shapes refused"].numbers == "6 wrong calls, each a ValueError naming SquaredError (and the shapes)"
    assert all(r.hint == "" and r.failing_input == "" for r in report.rows)


def test_a_class_of_another_name_is_compared_with_nothing_unless_told():
    class MyLoss(SquaredError):
        pass

    report = check_objective(MyLoss)
    assert report.passed
    assert report["same values as graphnn"].numbers == \
        "not checked: graphnn has no objective named MyLoss (check_objective(..., reference=...))"
    assert report["seed's worked numbers"].numbers == "not checked: the seed has no worked example for MyLoss"
    told = check_objective(MyLoss, reference=gn.SquaredError)
    assert told["same values as graphnn"].numbers.startswith(f"eval and gradient vs graphnn's SquaredError ({SHAPES})")
    unnamed = check_objective(MyLoss, reference=functools.partial(gn.SquaredError))
    assert unnamed["same values as graphnn"].numbers.startswith(f"eval and gradient vs graphnn's reference ({SHAPES})")
    off = check_objective(SquaredError, reference=None)
    assert off["same values as graphnn"].numbers == \
        "not checked: graphnn has no objective named SquaredError (check_objective(..., reference=...))"


# ---------------------------------------------------------------------------- gradient vs differences
def test_a_gradient_with_the_wrong_sign_is_named_in_the_gradient_row():
    report = report_of(SquaredError, "sign")
    assert report.failed == ["gradient vs central differences", "same values as graphnn", "seed's worked numbers"]
    passed, numbers, hint = row(report, "gradient vs central differences")
    assert numbers.startswith("1 x 3: gradient vs N x d eval/dYhat: relative error 2.00e+00 > 1e-06")
    assert hint == "gradient has the wrong sign everywhere"
    passed, numbers, hint = row(report, "same values as graphnn")
    assert numbers.startswith("1 x 1: gradient vs graphnn's SquaredError: relative error 2.00e+00 > 1e-04; worst at [0, 0]")
    assert hint == "gradient has the wrong sign everywhere"


def test_a_gradient_divided_by_n_under_the_mean_over_every_entry():
    # eval np.mean of N x K: 1 x 3 shows the convention, 5 x 3 the missing factor N
    report = report_of(SquaredError, "entries, gradient over N")
    assert report.conventions == {"eval": "mean over N x K"}
    passed, numbers, hint = row(report, "gradient vs central differences")
    assert not passed
    assert numbers.startswith("5 x 3: gradient vs N K x d eval/dYhat: relative error 8.00e-01 > 1e-06")
    assert hint == ("1/N = 1/5 of N x d eval/dYhat: the gradient is per observation, "
                    "not divided by N (or eval is a sum, not a mean)")


def test_the_mean_over_every_entry_is_named_in_the_numbers():
    report = report_of(CrossEntropy, "binary over entries")
    assert report.conventions == {"eval": "mean over N x K"}
    assert report["gradient vs central differences"].numbers.startswith(f"eval a mean over N x K; {SHAPES}: ")
    assert report["gradient vs central differences"].passed


def test_a_factor_k_after_the_convention_is_decided_is_not_the_convention():
    # 1 x 3 decides 'mean over N'; a factor K at 5 x 3 is then a plain factor, not the convention
    report = report_of(SquaredError, "times K for batches")
    assert report.conventions == {"eval": "mean over N"}
    passed, numbers, hint = row(report, "gradient vs central differences")
    assert numbers.startswith("5 x 3: gradient vs N x d eval/dYhat: relative error")
    assert hint == FACTOR_HINT.format(3)
    passed, numbers, hint = row(report, "mean of the rows")
    assert numbers.startswith("gradient of 5 rows vs each row alone: relative error 6.67e-01 > 1e-10")
    assert hint == FACTOR_HINT.format(3)


def test_a_pinned_convention_the_class_does_not_follow():
    report = report_of(SquaredError, "entries, gradient over N", conventions={"eval": "mean over N"})
    passed, numbers, hint = row(report, "gradient vs central differences")
    assert numbers == "eval: the class follows 'mean over N x K'; the teacher asks for 'mean over N'"
    assert hint == "this course uses eval as 'mean over N'"


# ---------------------------------------------------------------------------- mean of the rows
class RowsApart:
    """eval of one row is ``single``, of several rows ``whole``: a class made to sit on
    either side of the 'mean of the rows' tolerance; its gradient is zero."""

    def __init__(self, single, whole):
        self.single, self.whole = single, whole

    def eval(self, Y, Yhat):
        return self.single if len(Y) == 1 else self.whole

    def gradient(self, Y, Yhat):
        return np.zeros(np.shape(Yhat))


def mean_of_rows(single, whole):
    report = check_objective(lambda: RowsApart(single, whole))
    return row(report, "mean of the rows")


def test_mean_of_the_rows_allows_1e_10_absolute_below_1():
    assert mean_of_rows(0.0, 1e-10)[0]
    passed, numbers, hint = mean_of_rows(0.0, 3e-10)
    assert not passed and numbers == "eval of 5 rows 3e-10, mean of the rows alone 0 (ratio nan)" and hint == ""


def test_mean_of_the_rows_allows_1e_10_relative_above_1():
    assert mean_of_rows(100.0, 100.0 + 5e-9)[0]
    passed, numbers, hint = mean_of_rows(100.0, 100.0 + 2e-8)
    assert not passed and numbers == "eval of 5 rows 100, mean of the rows alone 100 (ratio 1)" and hint == ""


def test_mean_of_the_rows_names_a_sum_only_for_a_ratio_of_n():
    hint = "eval is a sum over the observations: the seed's objective is their mean (a missing 1/N)"
    assert mean_of_rows(1.0, 5.0) == (False, "eval of 5 rows 5, mean of the rows alone 1 (ratio 5)", hint)
    assert mean_of_rows(1.0, 5.000004)[2] == hint
    assert mean_of_rows(1.0, 5.00001)[1:] == ("eval of 5 rows 5.00001, mean of the rows alone 1 (ratio 5)", "")
    assert mean_of_rows(1.0, 4.0)[1:] == ("eval of 5 rows 4, mean of the rows alone 1 (ratio 4)", "")


def test_a_gradient_of_many_rows_that_is_not_the_rows_stacked():
    report = report_of(SquaredError, "divided by N")
    passed, numbers, hint = row(report, "mean of the rows")
    assert numbers.startswith("gradient of 5 rows vs each row alone: relative error 8.00e-01 > 1e-10")
    assert hint == "1/N = 1/5 of the gradient of the mean: divided by N twice?"


# ---------------------------------------------------------------------------- graphnn's values, hints
def test_a_value_within_the_answer_tolerance_passes_and_one_beyond_fails():
    near = report_of(SquaredError, "scaled 5e-5")
    assert near["same values as graphnn"].passed
    assert near["same values as graphnn"].numbers.endswith("worst relative error 5.0e-05")
    passed, numbers, hint = row(report_of(SquaredError, "scaled 2e-4"), "same values as graphnn")
    assert not passed and hint == ""
    assert numbers.startswith("1 x 1: eval ") and ", graphnn's SquaredError " in numbers
    assert "(its mean" not in numbers


def test_the_binary_cross_entropy_is_named():
    report = report_of(CrossEntropy, "binary")
    passed, numbers, hint = row(report, "same values as graphnn")
    assert numbers == "1 x 3: eval 2.90448, graphnn's CrossEntropy 1.80756" and hint == BINARY_HINT
    # the seed's example has N = 2: the binary value is a mean over the observations
    passed, numbers, hint = row(report, "seed's worked numbers")
    assert numbers == "Q4/Q6: eval gives 1.71703; the seed's answer is 0.983056" and hint == BINARY_HINT
    assert report["seed's worked numbers"].failing_input == \
        "Y = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], Yhat = [[0.2, 0.2, 0.6], [0.2, 0.7, 0.1]]"


def test_the_binary_cross_entropy_over_every_entry_is_named_too():
    report = report_of(CrossEntropy, "binary over entries")
    passed, numbers, hint = row(report, "same values as graphnn")
    assert numbers.startswith("1 x 3: eval ") and numbers.endswith(" (its mean over N x K)")
    assert hint == BINARY_HINT
    assert report["seed's worked numbers"].hint == BINARY_HINT


def test_a_cross_entropy_averaged_over_every_entry_is_named():
    report = report_of(CrossEntropy, "entries")
    assert report.conventions == {"eval": "mean over N"}
    assert row(report, "same values as graphnn") == (
        False, "1 x 3: eval 0.602521, graphnn's CrossEntropy 1.80756", ENTRIES_HINT)
    assert row(report, "seed's worked numbers") == (
        False, "Q4/Q6: eval gives 0.327685; the seed's answer is 0.983056", ENTRIES_HINT)


def test_a_squared_error_averaged_over_every_entry_gets_no_cross_entropy_hint():
    report = report_of(SquaredError, "entries, gradient over K")
    assert row(report, "same values as graphnn") == (False, "1 x 3: eval 0.352641, graphnn's SquaredError 1.05792", "")


def test_a_wrong_value_that_is_no_sum_gets_no_hint():
    report = report_of(SquaredError, "absolute")
    assert row(report, "same values as graphnn") == (False, "1 x 1: eval 0.928714, graphnn's SquaredError 0.86251", "")
    assert row(report, "seed's worked numbers") == (False, "Q3a/Q5a: eval gives 0.45; the seed's answer is 0.265", "")
    assert report["seed's worked numbers"].failing_input == "Y = [[0.0], [1.0]], Yhat = [[0.2], [0.3]]"


def test_a_log_loss_summed_over_the_observations():
    # eval and gradient agree (gradient = N d eval), so only the values show the sum; log(Yhat + 1e-7)
    # moves the ratio to graphnn's by about 2e-6, well inside the hint's 1e-6 N
    report = report_of(LogLoss, "sum")
    assert row(report, "same values as graphnn") == (False, "5 x 1: eval 2.66811, graphnn's LogLoss 0.533622", SUM_HINT)


def test_a_log_loss_summed_over_the_observations_at_the_seed_s_numbers():
    # the seed prints 0.71356 for 0.7135582: the sum's ratio to it is 2 - 6e-6, a sum all the same
    report = report_of(LogLoss, "sum")
    assert row(report, "seed's worked numbers") == (
        False, "Q3b/Q5b: eval gives 1.42712; the seed's answer is 0.71356", SUM_HINT)


def test_the_seed_gradient_that_is_wrong():
    report = report_of(SquaredError, "divided by N")
    passed, numbers, hint = row(report, "seed's worked numbers")
    assert numbers == "Q3a/Q5a: gradient gives [[0.2], [-0.7]]; the seed's answer is [[0.4], [-1.4]]"
    assert hint == ""
    assert report["seed's worked numbers"].failing_input == "Y = [[0.0], [1.0]], Yhat = [[0.2], [0.3]]"


# ---------------------------------------------------------------------------- reference.py
def test_reference_for_each_case():
    assert reference_for("SquaredError", objective=True) is gn.SquaredError
    assert reference_for("CrossEntropy", "auto", objective=True) is gn.CrossEntropy
    assert reference_for("SquaredError") is None  # not a layer
    assert reference_for("TanhLayer") is gn.TanhLayer
    assert reference_for("TanhLayer", objective=True) is None
    assert reference_for("Nothing") is None
    assert reference_for("TanhLayer", None) is None
    assert reference_for("Mine", gn.ReLULayer) is gn.ReLULayer
    assert sorted(REFERENCE_OBJECTIVES) == ["CrossEntropy", "LogLoss", "SquaredError"]
    assert {"InputLayer", "FullyConnectedLayer", "LinearLayer", "ReLULayer", "LogisticSigmoidLayer", "TanhLayer",
            "SoftmaxLayer"} <= set(REFERENCE_LAYERS)


def test_seed_agrees_to_the_printed_precision():
    assert SEED_TOLERANCE == 1e-4
    assert seed_agrees(0.265, 0.265) and seed_agrees(0.26509, 0.265) and not seed_agrees(0.26511, 0.265)
    assert seed_agrees(np.array([[0.4], [-1.4]]), [[0.4], [-1.4001]])
    # relative above 1: 1e-4 of 50 is 5e-3
    assert seed_agrees(50.004, 50.0) and not seed_agrees(50.006, 50.0)
    assert seed_agrees(-50.004, -50.0) and not seed_agrees(-50.006, -50.0)
    assert not seed_agrees([0.4, -1.4], [[0.4], [-1.4]])  # shapes differ
    assert seed_agrees(0.265, 0.265) is True and seed_agrees(1.0, 0.265) is False
    question, Y, Yhat, answer, gradient = SEED_OBJECTIVES["LogLoss"]
    assert seed_agrees(gn.LogLoss().eval(Y, Yhat), answer)


# ---------------------------------------------------------------------------- what eval and gradient return
class Returns(SquaredError):
    """A right squared error whose ``eval`` or ``gradient`` returns something else (``what``)."""

    def __init__(self, what):
        super().__init__()
        self.what = what

    def eval(self, Y, Yhat):
        value = super().eval(Y, Yhat)
        return {"a bool": True, "a list": [value], "two values": np.array([value, value]), "nan": float("nan"),
                "1 x 1 array": np.array([[value]]), "float32": np.float32(value)}.get(self.what, value)

    def gradient(self, Y, Yhat):
        gradient = super().gradient(Y, Yhat)
        if self.what == "flat":
            return gradient.ravel()
        if self.what == "transposed":
            return gradient.T
        if self.what == "float32 gradient":
            return gradient.astype(np.float32)
        if self.what == "changes Y":
            Y[...] = 0.0
        if self.what == "changes Yhat":
            Yhat[0, 0] = 0.5
        return gradient


def returning(what, **kwargs):
    return check_objective(lambda: Returns(what), **kwargs)


def test_eval_must_return_one_float():
    hint = "reduce to one number (np.mean over the observations, then float(...))"
    assert row(returning("a bool"), "eval is one float") == (False, "1 x 1: eval returned a bool, not one float", hint)
    assert row(returning("a list"), "eval is one float") == (False, "1 x 1: eval returned a list, not one float", hint)
    assert row(returning("two values"), "eval is one float") == (
        False, "1 x 1: eval returned an array of shape (2,), not one float", hint)
    assert row(returning("nan"), "eval is one float") == (False, "1 x 1: eval returned nan", "")
    report = returning("1 x 1 array")
    assert report.passed and report["eval is one float"].numbers == f"one finite float for {SHAPES}"


def test_the_gradient_must_be_n_by_k():
    hint = "the gradient is N x K, one row per observation, like Yhat"
    assert row(returning("flat"), "gradient shape") == (False, "1 x 1: gradient is shaped (1,)", hint)
    report = returning("transposed")
    assert row(report, "gradient shape") == (False, "1 x 3: gradient is shaped (3, 1)", hint)
    assert row(report, "gradient vs central differences") == (
        False, "1 x 3: gradient vs N x d eval/dYhat: shape (3, 1), expected (1, 3)",
        "gradient is shaped (3, 1), the transpose of (1, 3): is it transposed (W instead of W^T)?")


def test_a_float32_eval_is_noted_and_leads_the_failures():
    report = returning("float32")
    assert report.failed == ["gradient vs central differences", "mean of the rows"]
    assert len(report.notes) == 1 and report.notes[0].startswith("eval returns float32; the checks compare in float64")
    assert report["gradient vs central differences"].numbers.startswith("eval returns float32: 1 x 3: gradient vs")
    gradient = returning("float32 gradient")
    assert len(gradient.notes) == 1 and gradient.notes[0].startswith("gradient returns float32; the checks compare")


# ---------------------------------------------------------------------------- advice rows
def test_arguments_changed_in_place_are_named():
    hint = "clip into a new array (np.clip(Yhat, ...)), not in place"
    assert row(returning("changes Y"), "arguments unchanged") == (False, "1 x 1: gradient changed Y", hint)
    report = returning("changes Yhat")
    assert row(report, "arguments unchanged") == (False, "1 x 1: gradient changed Yhat", hint)
    assert report.advice == ["arguments unchanged", "wrong shapes refused"]  # advice: not in failed
    assert "arguments unchanged" not in report.failed
    strict = returning("changes Yhat", strict=True)
    assert "arguments unchanged" in strict.failed


class ClipsInPlace(SquaredError):
    """Clips ``Yhat`` in place: only estimates of exactly 0 and 1 show it."""

    def eval(self, Y, Yhat):
        np.clip(Yhat, 1e-7, 1 - 1e-7, out=Yhat)
        return super().eval(Y, Yhat)


def test_estimates_of_0_and_1_are_among_the_arguments_tried():
    report = check_objective(ClipsInPlace)
    assert row(report, "arguments unchanged") == (
        False, "4 x 3: eval changed Yhat", "clip into a new array (np.clip(Yhat, ...)), not in place")


def test_warnings_at_0_and_1_are_not_the_arguments_row_s_business():
    report = report_of(CrossEntropy, "binary")
    assert report["arguments unchanged"].passed
    assert row(report, "estimates at 0 and 1")[1] == "raised RuntimeWarning: divide by zero encountered in log"


class SilentCrossEntropy(CrossEntropy):
    """Silences numpy: log of 0 gives inf without a warning."""

    def eval(self, Y, Yhat):
        with np.errstate(all="ignore"):
            return super().eval(Y, Yhat)

    def gradient(self, Y, Yhat):
        with np.errstate(all="ignore"):
            return super().gradient(Y, Yhat)


def test_non_finite_values_at_0_and_1():
    report = check_objective(SilentCrossEntropy)
    assert row(report, "estimates at 0 and 1") == (
        False, "estimates of exactly 0 and 1: eval nan, gradient with 6 NaN or inf entries",
        "clip Yhat away from 0 and 1 (e.g. to [1e-7, 1 - 1e-7]) before log and division")
    assert report.passed and report.advice == ["estimates at 0 and 1", "wrong shapes refused"]


class Unchecked(SquaredError):
    """Refuses only what numpy refuses by itself (no shape check of its own)."""

    def eval(self, Y, Yhat):
        return float(np.mean(((Y - Yhat) ** 2).sum(axis=-1)))

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


class RefusesOnlyTwoDimensionalMismatches(SquaredError):
    def refuse(self, Y, Yhat):
        if np.ndim(Y) == 2 and np.shape(Y) != np.shape(Yhat):
            raise ValueError(f"{type(self).__name__}: Y {np.shape(Y)} and Yhat {np.shape(Yhat)} differ")

    def eval(self, Y, Yhat):
        self.refuse(Y, Yhat)
        return float(np.mean(((Y - Yhat) ** 2).sum(axis=-1)))

    def gradient(self, Y, Yhat):
        self.refuse(Y, Yhat)
        return -2 * (Y - Yhat)


def test_wrong_shapes_each_case_named():
    assert row(check_objective(Unchecked), "wrong shapes refused") == (
        False, "eval of Y 5 x 3 and Yhat 5 x 2: message 'ValueError: operands could not be broadcast together with "
               "shapes (5,3) (5,2) ' does not name Unchecked, 5 x 3, 5 x 2",
        "check shapes first and raise ValueError(f'{type(self).__name__}: ...') naming them")
    assert row(check_objective(RefusesOnlyTwoDimensionalMismatches), "wrong shapes refused") == (
        False, "eval of 1-D Y: no error raised", "refuse it with a ValueError that names the class and the shapes")


# ---------------------------------------------------------------------------- the context and the entry point
def test_the_context_wraps_fresh_objectives():
    from graphnn.grading.objective_checks import ObjectiveContext

    context = ObjectiveContext(lambda: SquaredError("sign"), make_pair=lambda rng, n, k: ([[1] * k] * n, [[0] * k] * n))
    assert context.name == "SquaredError" and context.reference is gn.SquaredError
    first, second = context.objective(), context.objective()
    assert first.mistake == "sign" and first._objective is not second._objective
    with pytest.raises(AttributeError, match="^_missing$"):
        first._missing
    Y, Yhat = context.pair(2, 3)
    assert Y.dtype == Yhat.dtype == np.float64 and Y.shape == (2, 3) and Yhat.sum() == 0
    assert context.eval_scale(3) == 1
    context.conventions["eval"] = "mean over N x K"
    assert context.eval_scale(3) == 3
    assert context.notes == []


def test_a_pair_of_the_teacher_s_own():
    def ones_and_halves(rng, n, k):
        return np.ones((n, k)), np.full((n, k), 0.5)

    report = check_objective(SquaredError, make_pair=ones_and_halves)
    assert report.passed
    assert report["same values as graphnn"].numbers.endswith("worst relative error 0.0e+00")


def test_raise_on_failure_and_strict():
    with pytest.raises(AssertionError, match="gradient vs central differences"):
        report_of(SquaredError, "sign", raise_on_failure=True)
    assert check_objective(SilentCrossEntropy, strict=True).failed == ["estimates at 0 and 1", "wrong shapes refused"]


class SlowToBuild(SquaredError):
    def __init__(self):
        import time

        time.sleep(0.5)
        super().__init__()


def test_a_class_that_takes_too_long_to_build():
    for report in (check_objective(SlowToBuild, timeout=0.1), check_objective(SlowToBuild, time_limit=0.1)):
        assert report.failed[0] == "eval is one float"
        assert "while building the class, before the checks" in report["eval is one float"].numbers
        assert report["wrong shapes refused"].numbers == "not run: building the class timed out"


class ComparesSizes(RefusesOnlyTwoDimensionalMismatches):
    """Refuses Y and Yhat of different sizes, naming them, but not of different ranks."""

    def refuse(self, Y, Yhat):
        if np.size(Y) != np.size(Yhat):
            raise ValueError(f"{type(self).__name__}: Y {np.shape(Y)} and Yhat {np.shape(Yhat)} differ")


class ChecksOnlyY(ComparesSizes):
    """Refuses a Y that is not N x K, but takes any Yhat."""

    def refuse(self, Y, Yhat):
        if np.ndim(Y) != 2 or np.shape(Y)[1] != np.shape(Yhat)[-1]:
            raise ValueError(f"{type(self).__name__}: Y {np.shape(Y)} and Yhat {np.shape(Yhat)} differ")


def test_one_dimensional_arguments_of_one_observation_are_tried():
    # a single row of K entries: as many as Yhat's 1 x K, so a size check lets it through
    assert row(check_objective(ComparesSizes), "wrong shapes refused") == (
        False, "eval of 1-D Y: no error raised", "refuse it with a ValueError that names the class and the shapes")
    assert row(check_objective(ChecksOnlyY), "wrong shapes refused") == (
        False, "eval of 1-D Yhat: no error raised", "refuse it with a ValueError that names the class and the shapes")


def test_seed_agrees_reads_printed_text_as_numbers():
    assert seed_agrees("0.265", 0.265) and seed_agrees(0.265, "0.265") and not seed_agrees("0.3", "0.265")
    assert seed_agrees(1.0001, 1.0) and not seed_agrees(1.00015, 1.0)


class SlowForBatches(SquaredError):
    """An eval that takes long for 5 observations (a loop gone wrong, say)."""

    def eval(self, Y, Yhat):
        if len(Y) == 5:
            import time

            time.sleep(0.4)
        return super().eval(Y, Yhat)


def test_each_check_has_the_time_limit_and_one_timeout_stops_the_rest():
    report = check_objective(SlowForBatches, timeout=0.1)
    first = report["eval is one float"]
    assert not first.passed and first.numbers == "SlowForBatches.eval timed out after 0.1 s"
    assert [r.numbers for r in report.rows[1:]] == ["not run: 'eval is one float' timed out"] * 8


@pytest.mark.parametrize("objective", [gn.SquaredError, gn.LogLoss, gn.CrossEntropy])
def test_graphnn_s_objectives_pass_strictly(objective):
    # CrossEntropy refuses targets that are not distributions: the estimates of 0 and 1 are
    # tried with one-hot targets
    report = check_objective(objective, strict=True)
    assert report.passed and report.failed == [] and report.advice == [], str(report)
    assert report["estimates at 0 and 1"].numbers == "estimates of exactly 0 and 1: eval and gradient finite, no warnings"
