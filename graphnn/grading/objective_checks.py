"""``check_objective``: an objective class against the assignment's contract.

``eval(Y, Yhat)`` is one float; ``gradient(Y, Yhat)`` is ``N x K`` and the derivative of
``eval`` in either convention the assignment leaves open: ``eval`` a mean over the ``N``
observations (``gradient = N d eval/dYhat``) or over all ``N x K`` entries (the seed's literal
``mean((Y - Yhat) * (Y - Yhat))``, ``gradient = N K d eval/dYhat``, still ``-2 (Y - Yhat)``).
Values are compared with graphnn's objective of the same name and the seed's worked numbers.
"""
import numbers
import warnings

import numpy as np

from .conventions import note_convention, validate_conventions
from .gradcheck import DEFAULT_TOLERANCE, numerical_gradient, objective_factors, parameter_factors, relative_error
from .inputs import compare, distribution_pair, kind_of
from .layer_advice import require_refusals, shape_forms
from .reference import SEED_OBJECTIVES, SEED_TOLERANCE, reference_for, seed_agrees
from .limits import DEFAULT_TIMEOUT, CheckTimeout, call_with_time_limit
from .report import CheckFailure, finish, timed_out_report
from .student import DtypeNotes, build

__all__ = ["check_objective", "ObjectiveContext", "OBJECTIVE_CHECKS", "OBJECTIVE_ADVICE", "OBJECTIVE_SHAPES", "ANSWER_TOLERANCE"]

#: an objective's values against graphnn's: students clip ``Yhat`` (``log(Yhat + 1e-7)``),
#: which moves a value by about ``1e-7 / Yhat`` relative
ANSWER_TOLERANCE = 1e-4
#: the ``(N, K)`` shapes every objective check runs with
OBJECTIVE_SHAPES = ((1, 1), (1, 3), (5, 1), (5, 3))


class ObjectiveContext:
    """What the objective checks share: fresh objectives (``objective()``), the class
    ``name``, the pairs tried (``pair(n, k)``), the ``conventions`` found and ``pinned``, and
    the ``reference`` class."""

    def __init__(self, make, make_pair=None, reference="auto", conventions=None):
        self.make, self.pinned, self.conventions = make, validate_conventions(conventions), {}
        self.dtypes = DtypeNotes()
        self.name = type(build(make, caller="check_objective")).__name__
        self.make_pair = make_pair or distribution_pair
        self.reference = reference_for(self.name, reference, objective=True)

    def objective(self):
        """A fresh objective, whose ``eval`` and ``gradient`` note a result in another dtype
        than float64 (``explain``)."""
        return _Noted(build(self.make, caller="check_objective"), self.dtypes)

    @property
    def notes(self):
        """What the kit noticed that no check decides: ``eval`` or ``gradient`` returning
        another dtype than float64."""
        return self.dtypes.sentences()

    def explain(self, failure):
        """``failure`` led by the dtype when the objective computes in another dtype than
        float64 (``student.DtypeNotes``)."""
        return self.dtypes.explain(failure)

    def pair(self, n, k):
        """``(Y, Yhat)``, both ``n x k`` float64, from ``make_pair``."""
        Y, Yhat = self.make_pair(np.random.default_rng([n, k, 18]), n, k)
        return np.array(Y, dtype=float), np.array(Yhat, dtype=float)

    def eval_scale(self, k):
        """What ``eval`` is divided by, relative to a mean over ``N``: ``K`` under the 'mean
        over N x K' convention, else 1."""
        return k if self.conventions.get("eval") == "mean over N x K" else 1


class _Noted:
    """A student's objective whose ``eval`` and ``gradient`` results are looked at for their
    dtype on the way out; every other attribute is the objective's own."""

    def __init__(self, objective, dtypes):
        self._objective, self._dtypes = objective, dtypes

    def __getattr__(self, name):
        if name.startswith("_"):  # its own attributes, before __init__ set them (a copy)
            raise AttributeError(name)
        return getattr(self._objective, name)

    def eval(self, Y, Yhat):
        return self._dtypes.record("eval", self._objective.eval(Y, Yhat))

    def gradient(self, Y, Yhat):
        return self._dtypes.record("gradient", self._objective.gradient(Y, Yhat))


def _shapes_text():
    return ", ".join(f"{n} x {k}" for n, k in OBJECTIVE_SHAPES)


def _check_eval_is_a_float(context):
    for n, k in OBJECTIVE_SHAPES:
        value = context.objective().eval(*context.pair(n, k))
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)) or np.size(value) != 1:
            raise CheckFailure(f"{n} x {k}: eval returned {kind_of(value)}, not one float",
                               "reduce to one number (np.mean over the observations, then float(...))")
        if not np.isfinite(value):
            raise CheckFailure(f"{n} x {k}: eval returned {value}")
    return f"one finite float for {_shapes_text()}"


def _check_gradient_shape(context):
    for n, k in OBJECTIVE_SHAPES:
        gradient = np.asarray(context.objective().gradient(*context.pair(n, k)))
        if gradient.shape != (n, k):
            raise CheckFailure(f"{n} x {k}: gradient is shaped {gradient.shape}",
                               "the gradient is N x K, one row per observation, like Yhat")
    return f"N x K for {_shapes_text()}"


def _check_objective_gradient(context):
    worst = 0.0
    for n, k in sorted(OBJECTIVE_SHAPES, key=lambda s: -s[1]):  # K > 1 first: it shows the convention
        objective = context.objective()
        Y, Yhat = context.pair(n, k)
        analytic = np.asarray(objective.gradient(Y, Yhat), dtype=float)
        numeric = n * numerical_gradient(lambda: float(np.asarray(objective.eval(Y, Yhat)).item()), Yhat)
        if k > 1 and "eval" not in context.conventions:
            over_entries = analytic.shape == numeric.shape and relative_error(analytic, k * numeric) < DEFAULT_TOLERANCE
            note_convention(context.conventions, context.pinned, "eval", "mean over N x K" if over_entries else "mean over N")
        factors = objective_factors(n, k)
        factors.pop(float(k), None)
        worst = max(worst, compare(analytic, context.eval_scale(k) * numeric, DEFAULT_TOLERANCE,
                                   f"{n} x {k}: gradient vs {'N K' if context.eval_scale(k) > 1 else 'N'} x d eval/dYhat",
                                   what="gradient", factors=factors))
    return f"eval a {context.conventions.get('eval', 'mean over N')}; {_shapes_text()}: worst relative error {worst:.1e}"


def _check_mean_of_rows(context):
    n, k = 5, 3
    Y, Yhat = context.pair(n, k)
    objective = context.objective()
    rows = [float(np.asarray(objective.eval(Y[i:i + 1], Yhat[i:i + 1])).item()) for i in range(n)]
    whole = float(np.asarray(objective.eval(Y, Yhat)).item())
    if not abs(whole - np.mean(rows)) <= 1e-10 * max(1.0, abs(whole)):
        ratio = whole / np.mean(rows) if np.mean(rows) else float("nan")
        hint = "eval is a sum over the observations: the seed's objective is their mean (a missing 1/N)" \
            if abs(ratio - n) < 1e-6 * n else ""
        raise CheckFailure(f"eval of {n} rows {whole:.6g}, mean of the rows alone {np.mean(rows):.6g} "
                           f"(ratio {ratio:.4g})", hint)
    stacked = np.vstack([objective.gradient(Y[i:i + 1], Yhat[i:i + 1]) for i in range(n)])
    compare(objective.gradient(Y, Yhat), stacked, 1e-10, "gradient of 5 rows vs each row alone",
            what="gradient", factors=parameter_factors(n))
    return f"eval of {n} x {k} = mean of its rows alone, gradient = its rows alone stacked"


def _check_against_reference(context):
    if context.reference is None:
        return f"not checked: graphnn has no objective named {context.name} (check_objective(..., reference=...))"
    name = getattr(context.reference, "__name__", "reference")
    worst = 0.0
    for n, k in OBJECTIVE_SHAPES:
        Y, Yhat = context.pair(n, k)
        reference = build(context.reference)
        value = float(np.asarray(context.objective().eval(Y.copy(), Yhat.copy())).item())
        expected = float(reference.eval(Y.copy(), Yhat.copy())) / context.eval_scale(k)
        error = abs(value - expected) / max(abs(expected), 1e-12)
        if not error < ANSWER_TOLERANCE:
            raise CheckFailure(f"{n} x {k}: eval {value:.6g}, graphnn's {name} {expected:.6g}"
                               f"{' (its mean over N x K)' if context.eval_scale(k) > 1 else ''}",
                               _value_hint(context.name, value, expected, Y, Yhat))
        worst = max(worst, error, compare(context.objective().gradient(Y.copy(), Yhat.copy()),
                                          reference.gradient(Y.copy(), Yhat.copy()), ANSWER_TOLERANCE,
                                          f"{n} x {k}: gradient vs graphnn's {name}", what="gradient"))
    return f"eval and gradient vs graphnn's {name} ({_shapes_text()}): worst relative error {worst:.1e}"


def _value_hint(name, value, expected, Y, Yhat, tolerance=1e-6):
    """The likely mistake behind ``value`` where ``expected`` was due, or ``""``; ``tolerance``:
    how close (relative) ``value`` must be to ``N`` times ``expected`` to be called a sum, looser
    for the seed's answers, which are printed to a few digits."""
    if name == "CrossEntropy":
        binary = float(np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)).sum(axis=1)))
        if abs(value - binary) < 1e-6 * max(1.0, abs(binary)) or abs(value - binary / Y.shape[1]) < 1e-6:
            return ("this is the binary cross entropy (log loss): the cross entropy of distributions is "
                    "-mean_n sum_k y log(yhat), without the (1 - y) log(1 - yhat) term")
    if name == "CrossEntropy" and Y.shape[1] > 1 and abs(value * Y.shape[1] - expected) < 1e-4 * abs(expected):
        return ("np.mean over every entry divides by K too: the cross entropy sums over the K classes, "
                "then averages over the N observations")
    if expected and abs(value / expected - Y.shape[0]) < tolerance * Y.shape[0] and Y.shape[0] > 1:
        return "a sum over the observations: the seed's objective is their mean (a missing 1/N)"
    return ""


def _check_seed_numbers(context):
    if context.name not in SEED_OBJECTIVES:
        return f"not checked: the seed has no worked example for {context.name}"
    question, Y, Yhat, answer, gradient = SEED_OBJECTIVES[context.name]
    value = float(np.asarray(context.objective().eval(Y.copy(), Yhat.copy())).item())
    if not seed_agrees(value, answer):
        raise CheckFailure(f"{question}: eval gives {value:.6g}; the seed's answer is {answer}",
                           # answers printed to 4 decimals: a sum's ratio to them is N only to about that
                           _value_hint(context.name, value, answer, Y, Yhat, SEED_TOLERANCE / min(1.0, abs(answer))),
                           f"Y = {Y.tolist()}, Yhat = {Yhat.tolist()}")
    found = np.asarray(context.objective().gradient(Y.copy(), Yhat.copy()), dtype=float)
    if not seed_agrees(found, gradient):
        raise CheckFailure(f"{question}: gradient gives {np.round(found, 5).tolist()}; the seed's answer is "
                           f"{gradient.tolist()}", "", f"Y = {Y.tolist()}, Yhat = {Yhat.tolist()}")
    return f"{question}: eval {value:.6g} and the gradient are the seed's answers"


def _extreme_pair(context):
    Y, _ = context.pair(4, 3)
    # one 1 a row, at Y's first largest entry: a tie (soft labels 0.4, 0.4, 0.2) would make a
    # target row summing to 2, which a careful CrossEntropy rightly refuses
    hard = np.eye(Y.shape[1])[Y.argmax(axis=1)]
    Yhat = hard.copy()
    Yhat[::2] = 1.0 - hard[::2]
    return hard, Yhat


def _check_objective_arguments(context):
    pairs = [context.pair(n, k) for n, k in OBJECTIVE_SHAPES] + [_extreme_pair(context)]
    for Y, Yhat in pairs:
        n, k = Y.shape
        objective = context.objective()
        saved_Y, saved_Yhat = Y.copy(), Yhat.copy()
        for method in ("eval", "gradient"):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # warnings are "estimates at 0 and 1"'s to report
                getattr(objective, method)(Y, Yhat)
            if not (np.array_equal(Y, saved_Y) and np.array_equal(Yhat, saved_Yhat)):
                raise CheckFailure(f"{n} x {k}: {method} changed {'Y' if not np.array_equal(Y, saved_Y) else 'Yhat'}",
                                   "clip into a new array (np.clip(Yhat, ...)), not in place")
    return f"Y and Yhat identical after eval and gradient ({_shapes_text()}, and estimates of 0 and 1)"


def _check_objective_extremes(context):
    hard, Yhat = _extreme_pair(context)
    objective = context.objective()
    value = float(np.asarray(objective.eval(hard, Yhat)).item())
    gradient = objective.gradient(hard, Yhat)
    if np.shape(gradient) != hard.shape:  # None, say: "gradient shape" tells what to return
        raise CheckFailure(f"estimates of exactly 0 and 1: gradient returned {kind_of(gradient)}, not {len(hard)} x "
                           f"{hard.shape[1]}", "the gradient is N x K, one row per observation, like Yhat")
    gradient = np.asarray(gradient, dtype=float)
    if not np.isfinite(value) or not np.isfinite(gradient).all():
        raise CheckFailure(f"estimates of exactly 0 and 1: eval {value}, gradient with "
                           f"{int((~np.isfinite(gradient)).sum())} NaN or inf entries",
                           "clip Yhat away from 0 and 1 (e.g. to [1e-7, 1 - 1e-7]) before log and division")
    return "estimates of exactly 0 and 1: eval and gradient finite, no warnings"


def _check_objective_shapes(context):
    Y, _ = context.pair(5, 3)
    _, Yhat = context.pair(5, 2)
    one_Y, one_Yhat = context.pair(1, 3)
    cases = [(f"{method} of Y 5 x 3 and Yhat 5 x 2", method, (Y, Yhat), (shape_forms(Y.shape), shape_forms(Yhat.shape)))
             for method in ("eval", "gradient")]
    for args, label in (((one_Y[0], one_Yhat), "1-D Y"), ((one_Y, one_Yhat[0]), "1-D Yhat")):
        cases += [(f"{method} of {label}", method, args, ()) for method in ("eval", "gradient")]
    return require_refusals(context.name, [
        (label, lambda method=method, args=args: getattr(context.objective(), method)(*args), needles)
        for label, method, args, needles in cases])


#: ``(name, check)`` for every objective check, in the order they run
OBJECTIVE_CHECKS = (
    ("eval is one float", _check_eval_is_a_float),
    ("gradient shape", _check_gradient_shape),
    ("gradient vs central differences", _check_objective_gradient),
    ("mean of the rows", _check_mean_of_rows),
    ("same values as graphnn", _check_against_reference),
    ("seed's worked numbers", _check_seed_numbers),
    ("arguments unchanged", _check_objective_arguments),
    ("estimates at 0 and 1", _check_objective_extremes),
    ("wrong shapes refused", _check_objective_shapes),
)

#: the objective checks that are advice (robustness): they fail a report only with ``strict=True``
OBJECTIVE_ADVICE = ("arguments unchanged", "estimates at 0 and 1", "wrong shapes refused")


def check_objective(make_objective, raise_on_failure=False, make_pair=None, *, strict=False,
                    conventions=None, reference="auto", timeout=DEFAULT_TIMEOUT, time_limit=None):
    """Check an objective against the assignment's contract; returns a ``ContractReport``.

    ``make_objective``: the class, or a function of no arguments returning a fresh objective
    with ``eval(Y, Yhat)`` and ``gradient(Y, Yhat)``. ``make_pair(rng, N, K)``: the ``(Y,
    Yhat)`` to try (default ``distribution_pair``). ``strict``: advice rows (arguments
    unchanged, estimates of 0 and 1, wrong shapes refused) decide too. ``conventions``:
    e.g. ``{"eval": "mean over N"}`` to pin one (``CONVENTIONS``). ``reference``: the graphnn
    objective compared with (default: the one of the same name; ``None``: none). With
    ``raise_on_failure=True`` a failure raises ``AssertionError`` holding the table.
    ``timeout``: seconds each check (and the building of the class) may run,
    ``DEFAULT_TIMEOUT`` by default, ``None`` for no limit; past it the check fails naming the
    method and the time (``limits``); ``time_limit`` is its older name.

    The checks (``OBJECTIVE_CHECKS``) for ``N x K`` in 1 x 1, 1 x 3, 5 x 1, 5 x 3: ``eval``
    returns one float; ``gradient`` is ``N x K`` and equals ``N`` (or ``N K``, for ``eval``
    a mean over every entry) times the central differences of ``eval``; ``eval`` of many
    rows is the mean of each row alone; values equal graphnn's objective and the seed's
    worked numbers (Part 1, questions 3 to 6).

    >>> from graphnn import LogLoss
    >>> report = check_objective(LogLoss)
    >>> report.passed, report.failed, report["eval is one float"].numbers
    (True, [], 'one finite float for 1 x 1, 1 x 3, 5 x 1, 5 x 3')
    """
    seconds = timeout if time_limit is None else time_limit
    try:
        context = call_with_time_limit(lambda: ObjectiveContext(make_objective, make_pair, reference, conventions),
                                       seconds)
    except CheckTimeout as err:
        return timed_out_report(make_objective, OBJECTIVE_CHECKS, OBJECTIVE_ADVICE, err, strict, raise_on_failure)
    return finish(context.name, OBJECTIVE_CHECKS, context, raise_on_failure, strict, context.conventions,
                  OBJECTIVE_ADVICE, seconds)
