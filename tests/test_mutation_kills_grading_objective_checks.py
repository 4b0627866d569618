"""check_objective (``objective_checks.py``) row by row, at the thresholds its checks and hints
turn on: a student objective just inside and one just outside each tolerance (the hints for a
wrong value against graphnn's and against the seed's printed answers, the answer tolerance,
the mean of the rows), the worst error a passing row reports, the way a wrong gradient is shown,
and the estimates of 0 and 1 (which rows are flipped, what a non-finite gradient counts).

The classes are named as the seed names them (``SquaredError``, ``CrossEntropy``, ``LogLoss``)
so that the kit compares them with graphnn's own and with the seed's answers.
"""
import numpy as np
import pytest

from graphnn.grading.checks import check_objective

BINARY_HINT = ("this is the binary cross entropy (log loss): the cross entropy of distributions is "
               "-mean_n sum_k y log(yhat), without the (1 - y) log(1 - yhat) term")
ENTRIES_HINT = ("np.mean over every entry divides by K too: the cross entropy sums over the K classes, "
                "then averages over the N observations")
SUM_HINT = "a sum over the observations: the seed's objective is their mean (a missing 1/N)"


def row(report, name):
    return report[name].passed, report[name].numbers, report[name].hint


def report_of(cls, *args):
    return check_objective(lambda: cls(*args))


class SquaredError:
    """The seed's squared error, off in one way: ``eval`` scaled by ``eval_scale`` for ``rows``
    observations (every N when ``rows`` is None); ``mistake='eval over N twice'``: ``eval``
    divided by N once more than it should be (right for one observation, ``1/N`` of graphnn's
    value for several: not a sum); ``'divided by N'``: the gradient divided by N;
    ``gradient_dtype``: the dtype the gradient is returned in."""

    def __init__(self, eval_scale=1.0, rows=None, mistake=None, gradient_dtype=np.float64):
        self.eval_scale, self.rows, self.mistake, self.gradient_dtype = eval_scale, rows, mistake, gradient_dtype

    def eval(self, Y, Yhat):
        Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
        value = float(np.mean(((Y - Yhat) ** 2).sum(axis=1)))
        if self.mistake == "eval over N twice":
            value /= len(Y)
        return value * self.eval_scale if self.rows in (None, len(Y)) else value

    def gradient(self, Y, Yhat):
        gradient = -2 * (np.asarray(Y, dtype=float) - np.asarray(Yhat, dtype=float))
        if self.mistake in ("eval over N twice", "divided by N"):
            gradient = gradient / len(Y)
        return gradient.astype(self.gradient_dtype)


class CrossEntropy:
    """A cross entropy whose ``eval`` is off in one way (``mistake``), moved by ``offset``
    (added) or, for K > 1, by ``scale`` (a factor) as a student's clipping moves it; right
    for K = 1 up to ``offset``; the gradient is right."""

    def __init__(self, mistake, offset=0.0, scale=1.0):
        self.mistake, self.offset, self.scale = mistake, offset, scale

    def eval(self, Y, Yhat):
        Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
        if self.mistake == "binary":
            value = float(np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)).sum(axis=1)))
        elif self.mistake == "entries" and Y.shape[1] > 1:
            value = float(np.mean(-(Y * np.log(Yhat))))
        else:
            value = float(np.mean(-(Y * np.log(Yhat)).sum(axis=1)))
        return (self.scale if Y.shape[1] > 1 else 1.0) * value + self.offset

    def gradient(self, Y, Yhat):
        return -np.asarray(Y, dtype=float) / np.asarray(Yhat, dtype=float)


def test_a_value_wrong_for_several_observations_but_no_sum_gets_no_sum_hint():
    """A value 1/N of graphnn's at 5 x 1 fails with no hint: only a ratio of N (to 1e-6 N)
    is called a sum."""
    passed, numbers, hint = row(report_of(SquaredError, 1.0, None, "eval over N twice"), "same values as graphnn")
    assert not passed and numbers.startswith("5 x 1: eval ") and ", graphnn's SquaredError " in numbers
    assert hint == ""


def test_the_binary_hint_allows_1e_6_relative_above_1():
    """The binary cross entropy moved by 1.5e-6 is still named, at graphnn's 1 x 3 value
    (binary 2.9) and at the seed's (binary 1.717): both within 1e-6 of the binary value."""
    report = report_of(CrossEntropy, "binary", 1.5e-6)
    passed, numbers, hint = row(report, "same values as graphnn")
    assert not passed and numbers.startswith("1 x 3: eval 2.90448, graphnn's CrossEntropy") and hint == BINARY_HINT
    passed, numbers, hint = row(report, "seed's worked numbers")
    assert not passed and numbers.startswith("Q4/Q6: eval gives 1.71703") and hint == BINARY_HINT


def test_the_binary_hint_stops_at_1e_6_of_the_seed_s_binary_value():
    """Moved by 1.85e-6, the binary value is named at graphnn's 1 x 3 (1e-6 of 2.9 allows
    2.9e-6) but not at the seed's numbers (1e-6 of 1.717 allows 1.717e-6 only)."""
    report = report_of(CrossEntropy, "binary", 1.85e-6)
    assert row(report, "same values as graphnn")[2] == BINARY_HINT
    passed, numbers, hint = row(report, "seed's worked numbers")
    assert not passed and numbers.startswith("Q4/Q6: eval gives 1.71703") and hint == ""


def test_the_hint_for_a_mean_over_every_entry_allows_1e_4_relative():
    """A cross entropy averaged over every entry, moved by 5e-5 relative (K times it is within
    1e-4 of graphnn's 1.80756 at 1 x 3), is named; moved by 2e-4, it is not."""
    passed, numbers, hint = row(report_of(CrossEntropy, "entries", 0.0, 1 + 5e-5), "same values as graphnn")
    assert not passed and numbers.startswith("1 x 3: eval 0.6025") and "graphnn's CrossEntropy 1.80756" in numbers
    assert hint == ENTRIES_HINT
    passed, numbers, hint = row(report_of(CrossEntropy, "entries", 0.0, 1 + 2e-4), "same values as graphnn")
    assert not passed and numbers.startswith("1 x 3: eval 0.6026") and hint == ""


def test_the_answer_tolerance_is_relative_below_1_too():
    """graphnn's squared error at 1 x 1 is 0.86251: a value 1.1e-4 above it (relative) fails,
    although it is within 1e-4 in absolute terms."""
    passed, numbers, hint = row(report_of(SquaredError, 1 + 1.1e-4), "same values as graphnn")
    assert not passed and numbers.startswith("1 x 1: eval ") and "graphnn's SquaredError 0.86251" in numbers


def test_the_worst_error_against_graphnn_is_over_every_pair_and_the_values_too():
    """An eval 5e-5 off for one observation only, with a right gradient: the row passes and
    reports the worst relative error 5e-5, that of the values at 1 x 1 and 1 x 3, though the
    gradients and the pairs of 5 rows agree exactly."""
    report = report_of(SquaredError, 1 + 5e-5, 1)
    assert report["same values as graphnn"].passed
    assert report["same values as graphnn"].numbers.endswith("worst relative error 5.0e-05")


def test_a_float32_gradient_wrong_at_the_seed_is_shown_rounded():
    """The seed's gradient check shows a wrong gradient rounded to 5 decimals, in float64
    (a float32 result 0.2 is shown 0.2, not 0.20000000298023224)."""
    report = report_of(SquaredError, 1.0, None, "divided by N", np.float32)
    passed, numbers, hint = row(report, "seed's worked numbers")
    assert not passed and "gradient gives [[0.2], [-0.7]]; the seed's answer is [[0.4], [-1.4]]" in numbers


class RowsApart:
    """eval of one row is ``single``, of several rows ``whole``; its gradient is zero."""

    def __init__(self, single, whole):
        self.single, self.whole = single, whole

    def eval(self, Y, Yhat):
        return self.single if len(Y) == 1 else self.whole

    def gradient(self, Y, Yhat):
        return np.zeros(np.shape(Yhat))


def test_mean_of_the_rows_allows_1e_10_absolute_not_more_below_1():
    """Rows of 0 and a whole of 1.5e-10: beyond the 1e-10 allowed for values below 1."""
    passed, numbers, hint = row(report_of(RowsApart, 0.0, 1.5e-10), "mean of the rows")
    assert not passed and numbers == "eval of 5 rows 1.5e-10, mean of the rows alone 0 (ratio nan)"


class LogLoss:
    """A log loss summed over the observations, with ``log(Yhat + 3e-5)`` against log of zero."""

    def eval(self, Y, Yhat):
        Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
        return float(-(Y * np.log(Yhat + 3e-5) + (1 - Y) * np.log(1 - Yhat + 3e-5)).sum())

    def gradient(self, Y, Yhat):
        Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
        return -(Y - Yhat) / (Yhat * (1 - Yhat)) * len(Y)


def test_a_sum_at_the_seed_s_numbers_is_named_to_their_printed_precision():
    """The seed prints 0.71356: the sum's ratio to it is 2 - 2e-4 here, a sum all the same
    (1e-4 / 0.71356 relative, times N = 2, allows 2.8e-4)."""
    passed, numbers, hint = row(check_objective(LogLoss), "seed's worked numbers")
    assert not passed and numbers == "Q3b/Q5b: eval gives 1.42698; the seed's answer is 0.71356" and hint == SUM_HINT


class ClipsOnlyEval(CrossEntropy):
    """Clips ``Yhat`` in ``eval`` but not in ``gradient``, which is ``-1 / Yhat`` at each row's
    class and 0 elsewhere (silently: no numpy warning); ``returns_nothing``: a gradient without
    ``return``."""

    def __init__(self, returns_nothing=False):
        super().__init__(None)
        self.returns_nothing = returns_nothing

    def eval(self, Y, Yhat):
        return super().eval(Y, np.clip(Yhat, 1e-7, 1 - 1e-7))

    def gradient(self, Y, Yhat):
        Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
        with np.errstate(all="ignore"):
            gradient = np.where(Y > 0, -Y / Yhat, 0.0)
        return None if self.returns_nothing else gradient


def one_hot_classes_0_1_2_0(rng, n, k):
    """A teacher's pair: one-hot targets of classes 0, 1, 2, 0, ..., uniform estimates."""
    return np.eye(k)[np.arange(n) % k], np.full((n, k), 1.0 / k)


def test_estimates_at_0_and_1_flip_every_second_row_and_count_the_non_finite_entries():
    """The extremes are the targets themselves with rows 0 and 2 (of 4) flipped: their class
    gets an estimate of 0, a gradient of -1/0 there. A finite eval does not hide an infinite
    gradient; the message counts the 2 non-finite entries."""
    report = check_objective(ClipsOnlyEval, make_pair=one_hot_classes_0_1_2_0)
    passed, numbers, hint = row(report, "estimates at 0 and 1")
    assert not passed and numbers.startswith("estimates of exactly 0 and 1: eval 8.059")
    assert numbers.endswith(", gradient with 2 NaN or inf entries")
    assert hint == "clip Yhat away from 0 and 1 (e.g. to [1e-7, 1 - 1e-7]) before log and division"


def test_a_gradient_returning_nothing_is_told_so_at_0_and_1_not_to_clip():
    """A gradient without ``return`` (None): the row fails naming what came back and what is
    due, not with an error of the kit's own, nor with advice to clip (it was: None read as
    one NaN, "clip Yhat away from 0 and 1")."""
    passed, numbers, hint = row(check_objective(lambda: ClipsOnlyEval(True)), "estimates at 0 and 1")
    assert not passed and numbers == "estimates of exactly 0 and 1: gradient returned None, not 4 x 3"
    assert hint == "the gradient is N x K, one row per observation, like Yhat"

    class OneRowShort(ClipsOnlyEval):
        def gradient(self, Y, Yhat):
            return super().gradient(Y, Yhat)[:-1].tolist()

    passed, numbers, _ = row(check_objective(OneRowShort), "estimates at 0 and 1")
    assert not passed and numbers == "estimates of exactly 0 and 1: gradient returned a list, not 4 x 3"


class RefusesTargetsNotSummingToOne(ClipsOnlyEval):
    """A careful CrossEntropy: it clips, and it refuses a target row that is no distribution."""

    def eval(self, Y, Yhat):
        if not np.allclose(np.sum(Y, axis=1), 1):
            raise ValueError("each row of Y must sum to 1")
        return super().eval(Y, Yhat)

    def gradient(self, Y, Yhat):
        if not np.allclose(np.sum(Y, axis=1), 1):
            raise ValueError("each row of Y must sum to 1")
        return -np.asarray(Y) / np.clip(Yhat, 1e-7, 1 - 1e-7)


def soft_labels_with_ties(rng, n, k):
    """A teacher's soft labels whose largest entry is tied in every row: 0.4, 0.4, 0.2."""
    Y = np.tile([0.4, 0.4, 0.2][:k] if k == 3 else np.full(k, 1 / k), (n, 1))
    return Y, np.full((n, k), 1.0 / k)


def test_the_hard_targets_at_0_and_1_are_one_hot_even_where_the_targets_tie():
    """The extremes' targets have one 1 a row (at the first largest entry): a tie made rows
    summing to 2, and a correct CrossEntropy that checks its targets failed this row."""
    report = check_objective(RefusesTargetsNotSummingToOne, make_pair=soft_labels_with_ties)
    for name in ("estimates at 0 and 1", "arguments unchanged"):
        passed, numbers, hint = row(report, name)
        assert passed, (name, numbers, hint)


class SlowToBuild(SquaredError):
    """A constructor far slower than the time limit given (an endless loop, say)."""

    def __init__(self):
        import time

        time.sleep(0.5)
        super().__init__()


def test_a_class_too_slow_to_build_gets_a_report_of_its_own_under_the_options_given():
    """Building past the limit: a report about the class, its first row naming the constructor
    and the limit; ``strict`` makes the advice rows fail it too; ``raise_on_failure`` raises."""
    report = check_objective(SlowToBuild, timeout=0.1)
    assert report.subject == "SlowToBuild"
    assert report["eval is one float"].numbers == \
        "SlowToBuild.__init__ timed out after 0.1 s (while building the class, before the checks)"
    assert "arguments unchanged" not in report.failed and "arguments unchanged" in report.advice
    strict = check_objective(SlowToBuild, timeout=0.1, strict=True)
    assert strict.failed[-3:] == ["arguments unchanged", "estimates at 0 and 1", "wrong shapes refused"]
    with pytest.raises(AssertionError, match=r"SlowToBuild\.__init__ timed out after 0\.1 s"):
        check_objective(SlowToBuild, timeout=0.1, raise_on_failure=True)
