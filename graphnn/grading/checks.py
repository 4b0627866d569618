"""The contract of a layer and of an objective, as checks anyone can run on their own class.

``check_layer(make_layer)`` and ``check_objective(make_objective)`` take a class, or a
function of no arguments that returns a fresh object, with the seed's interface
(``forward``/``gradient``/``backward``; ``eval``/``gradient``). Nothing has to come from
graphnn: a student's class that inherits from nothing is checked the same way as
``graphnn.SoftmaxLayer``. graphnn's own test suite runs these very functions on every layer
and objective (tests/test_layer_contract.py, tests/test_objectives.py).

Each returns a ``ContractReport``: one row per check, passed or failed, the numbers that
decided it, and a hint when a failure has a recognisable shape (a missing local derivative,
only the diagonal of a Jacobian, a factor ``N``, a transposed matrix). ``print(report)`` shows
the table; ``raise_on_failure=True`` raises ``AssertionError`` holding it, so a teacher grades
with one pytest line per student class (docs/grading.md)::

    def test_sigmoid():
        check_layer(LogisticSigmoidLayer, raise_on_failure=True)

The conventions checked are graphnn's (docs/conventions.md): gradients flowing between layers
are per observation, parameter gradients are those of the mean objective (``dW = X^T G / N``),
an objective's ``eval`` is a mean and its ``gradient`` is ``N`` times the derivative of it.
"""
import inspect
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from .adapter import parameter_gradients, seed_style_parameters
from .gradcheck import (
    DEFAULT_TOLERANCE, _parameter_factors, _objective_factors, mismatch_hint, numerical_gradient, relative_error,
)

__all__ = [
    "check_layer", "check_objective", "ContractReport", "Check",
    "away_from_zero_inputs", "distribution_pair", "LAYER_CHECKS", "OBJECTIVE_CHECKS",
]

#: the numbers of observations every layer check runs with: one, and several
LAYER_SIZES = (1, 7)
#: the ``(N, K)`` shapes every objective check runs with
OBJECTIVE_SHAPES = ((1, 1), (1, 3), (5, 1), (5, 3))
#: the input width tried when the layer has no ``sizeIn`` and none is given
DEFAULT_WIDTH = 3
#: the magnitude of the extreme inputs
EXTREME = 1e4
#: ``backward(G)`` and ``G`` times ``gradient()`` are two roundings of one product
EXACT_TOLERANCE = 1e-10


# ---------------------------------------------------------------------------- the report
@dataclass
class Check:
    """One row of a ``ContractReport``: the check's ``name``, whether it ``passed``, the
    ``numbers`` that decided it and, for a failure with a recognisable shape, a ``hint``."""
    name: str
    passed: bool
    numbers: str
    hint: str = ""


class ContractReport:
    """What ``check_layer`` or ``check_objective`` found for ``subject`` (the class's name).

    ``rows``: the ``Check`` objects, in the order they ran; ``passed`` (and ``bool(report)``):
    whether every row passed; ``failed``: the names of the rows that did not;
    ``report["backward vs central differences"]``: one row by name. ``str(report)`` is a table.
    """

    def __init__(self, subject, rows):
        self.subject = subject
        self.rows = list(rows)
        self.passed = all(row.passed for row in self.rows)

    @property
    def failed(self):
        """The names of the checks that failed, in order (empty when all passed)."""
        return [row.name for row in self.rows if not row.passed]

    def __bool__(self):
        return self.passed

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no check named {name!r}; checks: {', '.join(r.name for r in self.rows)}")

    def __str__(self):
        width = max(len(row.name) for row in self.rows)
        lines = [f"{self.subject}: contract checks", f"  {'check':<{width}}  result  numbers"]
        for row in self.rows:
            lines.append(f"  {row.name:<{width}}  {'ok' if row.passed else 'FAIL':<6}  {row.numbers}")
            if row.hint:
                lines.append(f"  {'':<{width}}  {'':<6}  hint: {row.hint}")
        verdict = "PASSED" if self.passed else f"FAILED {len(self.failed)} of {len(self.rows)}"
        lines.append(f"{verdict}: {self.subject}")
        return "\n".join(lines)

    __repr__ = __str__


class _Failure(Exception):
    """A check's verdict against the subject: its numbers and hint."""

    def __init__(self, numbers, hint=""):
        super().__init__(numbers)
        self.numbers, self.hint = numbers, hint


def _run(name, check, context):
    """Run one check with every warning an error, so that a warning or an exception fails
    that row only; returns its ``Check``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
                numbers = check(context)
        return Check(name, True, numbers)
    except _Failure as failure:
        return Check(name, False, failure.numbers, failure.hint)
    except Exception as err:  # the subject raised: that is this check's verdict
        return Check(name, False, f"raised {_describe_error(err)}", _hint_for_error(err))


def _describe_error(err):
    message = str(err).splitlines()[0] if str(err) else ""
    if len(message) > 110:
        message = message[:107] + "..."
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _hint_for_error(err):
    if isinstance(err, Warning):
        return "a numpy warning: compute so that nothing overflows or divides by zero (clip, or a stable formula)"
    return ""


def _finish(subject, checks, context, raise_on_failure):
    report = ContractReport(subject, [_run(name, check, context) for name, check in checks])
    if raise_on_failure and not report.passed:
        raise AssertionError("\n" + str(report))
    return report


def _fresh(make, what):
    """A fresh object from ``make`` (a class or a factory); refuses an instance."""
    if not callable(make) or (not inspect.isclass(make) and hasattr(make, what)):
        raise TypeError(
            f"pass the class or a function of no arguments that makes one (lambda: MyLayer(...)), "
            f"not {type(make).__name__!r} object: every check needs a fresh one"
        )
    return make()


# ---------------------------------------------------------------------------- comparing
def _compare(analytic, numeric, tolerance, label, floor=0.0, **hint_args):
    """Raise ``_Failure`` unless ``analytic`` is within ``tolerance`` of ``numeric``; returns
    the relative error."""
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    if analytic.shape != numeric.shape:
        raise _Failure(f"{label}: shape {analytic.shape}, expected {numeric.shape}",
                       mismatch_hint(analytic, numeric, **hint_args))
    error = relative_error(analytic, numeric, floor)
    if not error < tolerance:
        diff = np.abs(np.asarray(analytic, float) - numeric)
        index = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape)
        raise _Failure(
            f"{label}: relative error {error:.2e} > {tolerance:.0e}; worst at {list(map(int, index))}: "
            f"{float(analytic[index]):.6g} vs {float(numeric[index]):.6g}",
            mismatch_hint(analytic, numeric, **hint_args),
        )
    return error


# ---------------------------------------------------------------------------- inputs
def away_from_zero_inputs(*widths, margin=0.1):
    """``make_inputs(rng, n)`` drawing each input (``n x width``) from a standard normal with
    ``|x| >= margin``, so that a central-difference step never crosses a kink at 0 (ReLU)."""
    def make_inputs(rng, n):
        inputs = []
        for width in widths:
            x = rng.standard_normal((n, width))
            inputs.append(np.where(x >= 0, 1.0, -1.0) * np.maximum(np.abs(x), margin))
        return tuple(inputs)
    return make_inputs


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def distribution_pair(rng, n, k):
    """``(Y, Yhat)``, both ``n x k``, valid for every objective of the seed: ``Y`` one-hot
    rows (even rows) and random distributions (odd rows), ``Yhat`` a softmax of random numbers
    (so inside ``(0, 1)``). With ``k = 1`` the only distribution is ``[1]``, and ``Yhat`` is
    drawn in ``(0.05, 0.95)`` to leave room for a central difference inside ``[0, 1]``."""
    if k == 1:
        return np.ones((n, 1)), rng.uniform(0.05, 0.95, size=(n, 1))
    Y = np.zeros((n, k))
    Y[np.arange(n), rng.integers(0, k, size=n)] = 1.0
    Y[1::2] = _softmax(rng.standard_normal((len(Y[1::2]), k)))
    return Y, _softmax(rng.standard_normal((n, k)))


# ---------------------------------------------------------------------------- layers
class _LayerContext:
    """What the layer checks share: fresh layers, inputs, and one- or several-input calls."""

    def __init__(self, make, input_width, make_inputs):
        self.make = make
        first = _fresh(make, "forward")
        self.name = type(first).__name__
        self.n_inputs = int(getattr(first, "n_inputs", 1))
        if input_width is None:
            input_width = getattr(first, "sizeIn", DEFAULT_WIDTH)
        widths = (input_width,) * self.n_inputs if isinstance(input_width, numbers.Integral) else input_width
        self.widths = tuple(int(w) for w in widths)
        if len(self.widths) != self.n_inputs:
            raise ValueError(f"check_layer: {self.name} takes {self.n_inputs} inputs, got widths {self.widths}")
        self.make_inputs = make_inputs or away_from_zero_inputs(*self.widths)

    def layer(self):
        return self.make()

    def inputs(self, n, salt=0):
        inputs = self.make_inputs(np.random.default_rng([n, salt, 15]), n)
        return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)

    def gradIn(self, shape, salt=1):
        return np.random.default_rng([shape[0], salt, 16]).standard_normal(shape)

    @staticmethod
    def forward(layer, inputs, copy=True):
        # Copies, so that a layer writing into its input fails "arguments unchanged" only.
        out = layer.forward(*[x.copy() for x in inputs] if copy else inputs)
        if not isinstance(out, np.ndarray) or out.ndim != 2:
            raise _Failure(f"forward returned {_kind_of(out)}, not a 2-D N x K array",
                           "every value is 2-D: one row per observation")
        return out

    def backward(self, layer, G, copy=True):
        result = layer.backward(G.copy() if copy else G)
        if self.n_inputs == 1:
            return (result,)
        if not isinstance(result, (tuple, list)) or len(result) != self.n_inputs:
            raise _Failure(f"backward returned {_kind_of(result)}, not {self.n_inputs} gradients (one per input)")
        return tuple(result)

    def jacobians(self, layer):
        result = layer.gradient()
        if self.n_inputs == 1 or isinstance(result, np.ndarray):
            return (np.asarray(result),) * self.n_inputs
        if not isinstance(result, (tuple, list)) or len(result) != self.n_inputs:
            raise _Failure(f"gradient() returned {_kind_of(result)}: one Jacobian per input, or a shared one")
        return tuple(np.asarray(j) for j in result)

    def slot(self, k):
        return f"input {k}, " if self.n_inputs > 1 else ""


def _kind_of(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _contract(G, jacobian):
    """``G`` (``N x K``) times a Jacobian: ``K x D`` (shared by every row) or ``N x K x D``."""
    if jacobian.ndim == 2:
        return G @ jacobian
    if jacobian.ndim != 3 or jacobian.shape[:2] != G.shape:
        raise _Failure(f"gradient() has shape {jacobian.shape}: expected N x K x D (here {G.shape[0]} x "
                       f"{G.shape[1]} x D) or a shared K x D")
    return np.einsum("nk,nkd->nd", G, jacobian)


def _numeric_jacobians(context, layer, inputs, slot):
    """``N x K x D``: each observation's Jacobian of the output with respect to input ``slot``,
    by central differences of ``forward`` (``numerical_gradient`` on row ``n`` alone)."""
    out = context.forward(layer, inputs)
    n, k = out.shape
    x = inputs[slot]
    jac = np.zeros((n, k, x.shape[1]))
    for row in range(n):
        for col in range(k):
            jac[row, col] = numerical_gradient(lambda: float(context.forward(layer, inputs)[row, col]), x[row])
    return jac


def _check_forward_shapes(context):
    widths = []
    for n in LAYER_SIZES:
        inputs = context.inputs(n)
        out = context.forward(context.layer(), inputs)
        if out.shape[0] != n:
            raise _Failure(f"N = {n}: output has {out.shape[0]} rows", "one output row per observation")
        if not np.isfinite(out).all():
            raise _Failure(f"N = {n}: output holds NaN or inf")
        widths.append(out.shape[1])
    if len(set(widths)) != 1:
        raise _Failure(f"output widths {widths} differ between N = {LAYER_SIZES}")
    shapes = ", ".join(
        f"{' + '.join(f'{n} x {w}' for w in context.widths)} -> {n} x {widths[0]}" for n in LAYER_SIZES)
    return shapes


def _check_rows_alone(context):
    n = LAYER_SIZES[-1]
    inputs = context.inputs(n)
    layer = context.layer()
    reason = getattr(layer, "batch_dependence", None)
    if reason:  # batch norm, dropout: rows depend on the batch by design, and say so
        return f"not checked: {context.name} {reason}"
    batch_out = context.forward(layer, inputs)
    G = context.gradIn(batch_out.shape)
    batch_grads = context.backward(layer, G)
    rows_out, rows_grads = [], []
    for i in range(n):
        layer = context.layer()
        rows_out.append(context.forward(layer, tuple(x[i:i + 1] for x in inputs)))
        rows_grads.append(context.backward(layer, G[i:i + 1]))
    worst = relative_error(batch_out, np.vstack(rows_out))
    if not worst < 1e-12:
        raise _Failure(f"forward of {n} rows vs each row alone: relative error {worst:.2e}",
                       "observations must not interact: does forward mix rows (a mean over axis 0)?")
    for slot, grad in enumerate(batch_grads):
        error = relative_error(grad, np.vstack([g[slot] for g in rows_grads]))
        worst = max(worst, error)
        if not error < 1e-12:
            raise _Failure(f"backward of {n} rows vs each row alone: {context.slot(slot)}relative error {error:.2e}",
                           "observations must not interact in backward")
    return f"N = {n}: worst relative difference {worst:.1e}"


def _check_gradient_tensor(context):
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = tuple(x.copy() for x in context.inputs(n))
        out = context.forward(layer, inputs)
        analytic = context.jacobians(layer)
        for slot, jac in enumerate(analytic):
            numeric = _numeric_jacobians(context, layer, inputs, slot)
            if jac.ndim == 2:  # shared by every observation (the fully connected layer's W^T)
                if jac.shape != numeric.shape[1:]:
                    raise _Failure(f"N = {n}: {context.slot(slot)}gradient() is {jac.shape}, expected "
                                   f"K x D = {numeric.shape[1:]}", mismatch_hint(jac, numeric[0], what="gradient()"))
                jac = np.broadcast_to(jac, numeric.shape)
            worst = max(worst, _compare(jac, numeric, DEFAULT_TOLERANCE, f"N = {n}, {context.slot(slot)}Jacobians",
                                        what="gradient()"))
        del out
    return f"per observation, N = {', '.join(map(str, LAYER_SIZES))}: worst relative error {worst:.1e}"


def _check_backward_is_contraction(context):
    if getattr(context.layer(), "mixes_rows", False):
        return (f"not checked: {context.name}'s backward carries gradients between rows, which no "
                "per-observation Jacobian holds (backward is checked against central differences)")
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        out = context.forward(layer, context.inputs(n))
        G = context.gradIn(out.shape)
        for slot, (grad, jac) in enumerate(zip(context.backward(layer, G), context.jacobians(layer))):
            expected = _contract(G, jac)
            worst = max(worst, _compare(grad, expected, EXACT_TOLERANCE,
                                        f"N = {n}, {context.slot(slot)}backward(G) vs G x gradient()",
                                        what="backward", gradIn=G, reference="G x gradient()"))
    return f"N = {', '.join(map(str, LAYER_SIZES))}: worst relative difference {worst:.1e}"


def _check_backward_numerically(context):
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = tuple(x.copy() for x in context.inputs(n))
        G = context.gradIn(context.forward(layer, inputs).shape)
        analytic = context.backward(layer, G)
        jac_diagonals = None
        for slot, x in enumerate(inputs):
            numeric = numerical_gradient(lambda: float(np.sum(G * context.forward(layer, inputs))), x)
            if not np.abs(numeric).any() and np.abs(np.asarray(analytic[slot], float)).any():
                raise _Failure(f"N = {n}: {context.slot(slot)}finite differences are all 0, backward is not")
            if np.shape(analytic[slot]) == x.shape and x.shape[1] == G.shape[1]:
                jac = _numeric_jacobians(context, layer, inputs, slot)
                jac_diagonals = G * np.einsum("nii->ni", jac)
            worst = max(worst, _compare(analytic[slot], numeric, DEFAULT_TOLERANCE,
                                        f"N = {n}, {context.slot(slot)}backward(G) vs central differences",
                                        gradIn=G, diagonal=jac_diagonals))
    return f"N = {', '.join(map(str, LAYER_SIZES))}: worst relative error {worst:.1e}"


def _graphnn_parameters(layer):
    parameters = getattr(layer, "parameters", None)
    return tuple(parameters()) if callable(parameters) else ()


def _check_parameter_gradients(context):
    probe = context.layer()
    own = _graphnn_parameters(probe)
    accessors = seed_style_parameters(probe)
    if not own and not accessors:
        return "no parameters (neither parameters() nor getWeights/setWeights)"
    if not own and not callable(getattr(probe, "updateWeights", None)):
        return "getWeights/setWeights but no updateWeights(gradIn, eta): gradients not exposed, not checked"
    worst, names = 0.0, []
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = context.inputs(n)
        G = context.gradIn(context.forward(layer, inputs).shape)

        def mean_objective():
            return float(np.sum(G * context.forward(layer, inputs))) / n

        if own:
            parameters = _graphnn_parameters(layer)
            for parameter in parameters:
                parameter.zero_grad()
            context.backward(layer, G)
            found = [(p.name, np.array(p.grad), p.value) for p in parameters]
        else:
            context.backward(layer, G)
            gradients = parameter_gradients(layer, G)
            found = [(name, gradients[name], get()) for name, get, _ in seed_style_parameters(layer)]
        for name, analytic, value in found:
            value_array = value if isinstance(value, np.ndarray) and value.dtype == np.float64 else None
            if value_array is None:
                raise _Failure(f"{name}: the value is not a float64 array, cannot differentiate")
            numeric = numerical_gradient(mean_objective, value_array)
            if name not in names:
                names.append(name)
            worst = max(worst, _compare(analytic, numeric, DEFAULT_TOLERANCE, f"N = {n}, d(mean)/d{name}",
                                        what=f"the gradient of {name}", factors=_parameter_factors(n)))
    return f"{', '.join(names)} (gradients of the mean), N = {', '.join(map(str, LAYER_SIZES))}: worst relative error {worst:.1e}"


def _check_arguments_unchanged(context):
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = context.inputs(n)
        saved = tuple(x.copy() for x in inputs)
        out = context.forward(layer, inputs, copy=False)
        G = context.gradIn(out.shape)
        saved_G = G.copy()
        for step in ("forward", "backward", "gradient"):
            if step == "backward":
                context.backward(layer, G, copy=False)
            elif step == "gradient":
                layer.gradient()
            for k, (x, before) in enumerate(zip(inputs, saved)):
                if not np.array_equal(x, before):
                    raise _Failure(f"N = {n}: {step} changed {context.slot(k) or 'its input'}".rstrip(", "),
                                   "work on a copy (x = x.copy()) or out of place (x = x * 2, not x *= 2)")
            if not np.array_equal(G, saved_G):
                raise _Failure(f"N = {n}: {step} changed gradIn",
                               "backward must not write into gradIn (use G * f', not G *= f')")
    return f"inputs and gradIn identical after forward, backward, gradient (N = {', '.join(map(str, LAYER_SIZES))})"


def _check_extremes(context):
    n = LAYER_SIZES[-1]
    rng = np.random.default_rng([n, 17])
    inputs = []
    for width in context.widths:
        signs = rng.choice([-1.0, 1.0], size=(n, width))
        signs.flat[0] = 1.0
        if signs.size > 1:
            signs.flat[1] = -1.0
        inputs.append(EXTREME * signs)
    layer = context.layer()
    out = context.forward(layer, tuple(inputs))
    if not np.isfinite(out).all():
        raise _Failure(f"|x| = {EXTREME:g}: forward gives {int((~np.isfinite(out)).sum())} NaN or inf entries",
                       "use a stable formula (sigmoid: exp of -|x| only; softmax: subtract the row max)")
    G = rng.standard_normal(out.shape)
    for slot, grad in enumerate(context.backward(layer, G)):
        if not np.isfinite(grad).all():
            raise _Failure(f"|x| = {EXTREME:g}: {context.slot(slot)}backward gives NaN or inf")
    for jac in context.jacobians(layer):
        if not np.isfinite(jac).all():
            raise _Failure(f"|x| = {EXTREME:g}: gradient() gives NaN or inf")
    return f"|x| = {EXTREME:g}: forward, backward, gradient finite, no warnings"


def _shape_complaint(err, name, *needles):
    """``None`` when ``err`` is a ValueError or TypeError naming the class and every needle;
    otherwise what is missing."""
    if not isinstance(err, (ValueError, TypeError)):
        return f"raised {_describe_error(err)}, not a ValueError"
    message = str(err)
    missing = [needle for needle in (name,) + needles
               if not any(form in message for form in (needle if isinstance(needle, tuple) else (needle,)))]
    if missing:
        shown = [m if isinstance(m, str) else m[0] for m in missing]
        return f"message {_describe_error(err)!r} does not name {', '.join(shown)}"
    return None


def _require_refusals(name, cases):
    """Each ``(label, call, needles)`` must raise a ValueError naming class ``name`` and
    every needle (a shape, in any of its spellings); else ``_Failure`` for the first that
    does not."""
    for label, call, needles in cases:
        try:
            call()
        except Exception as err:
            complaint = _shape_complaint(err, name, *needles)
            if complaint:
                raise _Failure(f"{label}: {complaint}",
                               "check shapes first and raise ValueError(f'{type(self).__name__}: ...') naming them")
            continue
        raise _Failure(f"{label}: no error raised", "refuse it with a ValueError that names the class and the shapes")
    return f"{len(cases)} wrong calls, each a ValueError naming {name} (and the shapes)"


def _shape_forms(shape):
    return (f"{shape[0]} x {shape[1]}", str(tuple(shape)), f"{shape[0]}x{shape[1]}")


def _check_wrong_shapes(context):
    name = context.name
    n = 3
    inputs = context.inputs(n)
    cases = []
    for slot in range(context.n_inputs):
        for label, change in (("1-D", lambda x: x[0]), ("3-D", lambda x: x[None])):
            bad = list(inputs)
            bad[slot] = change(inputs[slot])
            cases.append((f"forward with a {label} {context.slot(slot) or 'input'}".rstrip(", "),
                          lambda bad=bad: context.layer().forward(*bad), ()))
    cases.append(("backward before forward", lambda: context.layer().backward(np.ones((2, 3))), ()))
    layer = context.layer()
    out = context.forward(layer, inputs)
    for wrong in ((n, out.shape[1] + 1), (n + 1, out.shape[1])):
        cases.append((f"backward with gradIn {wrong[0]} x {wrong[1]} after a {out.shape[0]} x {out.shape[1]} output",
                      lambda wrong=wrong: layer.backward(np.ones(wrong)),
                      (_shape_forms(out.shape), _shape_forms(wrong))))
    return _require_refusals(name, cases)


#: ``(name, check)`` for every layer check, in the order they run
LAYER_CHECKS = (
    ("forward shapes", _check_forward_shapes),
    ("rows independent", _check_rows_alone),
    ("gradient() vs central differences", _check_gradient_tensor),
    ("backward = gradIn x gradient()", _check_backward_is_contraction),
    ("backward vs central differences", _check_backward_numerically),
    ("parameter gradients", _check_parameter_gradients),
    ("arguments unchanged", _check_arguments_unchanged),
    ("extreme inputs", _check_extremes),
    ("wrong shapes refused", _check_wrong_shapes),
)


def check_layer(make_layer, input_width=None, raise_on_failure=False, make_inputs=None):
    """Check a layer against the contract; returns a ``ContractReport``.

    ``make_layer``: the class, or a function of no arguments returning a fresh layer (each
    check builds its own). It needs ``forward(dataIn)``, ``gradient()`` and ``backward(gradIn)``
    in the seed's style; ``n_inputs`` (default 1) for layers of several inputs, which take
    ``forward(*inputs)`` and return a tuple from ``backward``. ``input_width``: the width
    ``D`` of the inputs tried (a tuple, one per input, for several), read from the layer's
    ``sizeIn`` when it has one, else 3. ``make_inputs(rng, n)``: a tuple of ``n x D`` float64
    inputs, one per input (default: standard normal values with ``|x| >= 0.1``, away from a
    kink at 0). With ``raise_on_failure=True`` a failure raises ``AssertionError`` holding
    the report's table.

    The checks (``LAYER_CHECKS``), each for ``N = 1`` and ``N = 7`` where that matters:
    output shapes; rows computed independently (not checked, and said so, for a layer whose
    ``batch_dependence`` names why a row depends on the batch: batch norm and dropout in
    training mode); ``gradient()`` (``N x K x D``, or a shared
    ``K x D`` such as ``W^T``) against central differences, observation by observation;
    ``backward(G)`` equal to ``G`` times those Jacobians (not for a layer whose ``mixes_rows``
    is true: its backward carries gradients between rows) and to central differences;
    parameter gradients (``parameters()`` with ``.grad``, or what ``updateWeights(gradIn,
    eta)`` applies) against central differences of the mean objective; no argument changed;
    finite results and no warnings at ``|x| = 1e4``; a ``ValueError`` naming the class for
    1-D and 3-D inputs, ``backward`` before ``forward`` and a misshapen ``gradIn``.

    >>> from graphnn import TanhLayer
    >>> check_layer(TanhLayer).passed
    True
    """
    context = _LayerContext(make_layer, input_width, make_inputs)
    return _finish(context.name, LAYER_CHECKS, context, raise_on_failure)


# ---------------------------------------------------------------------------- objectives
class _ObjectiveContext:
    def __init__(self, make, make_pair):
        self.make = make
        self.name = type(_fresh(make, "eval")).__name__
        self.make_pair = make_pair or distribution_pair

    def objective(self):
        return self.make()

    def pair(self, n, k):
        Y, Yhat = self.make_pair(np.random.default_rng([n, k, 18]), n, k)
        return np.array(Y, dtype=float), np.array(Yhat, dtype=float)


def _shapes_text():
    return ", ".join(f"{n} x {k}" for n, k in OBJECTIVE_SHAPES)


def _check_eval_is_a_float(context):
    for n, k in OBJECTIVE_SHAPES:
        value = context.objective().eval(*context.pair(n, k))
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)) or np.ndim(value) != 0:
            raise _Failure(f"{n} x {k}: eval returned {_kind_of(value)}, not one float",
                           "reduce to one number (np.mean over the observations, then float(...))")
        if not np.isfinite(value):
            raise _Failure(f"{n} x {k}: eval returned {value}")
    return f"one finite float for {_shapes_text()}"


def _check_gradient_shape(context):
    for n, k in OBJECTIVE_SHAPES:
        gradient = np.asarray(context.objective().gradient(*context.pair(n, k)))
        if gradient.shape != (n, k):
            raise _Failure(f"{n} x {k}: gradient is shaped {gradient.shape}",
                           "the gradient is N x K, one row per observation, like Yhat")
    return f"N x K for {_shapes_text()}"


def _check_objective_gradient(context):
    worst = 0.0
    for n, k in OBJECTIVE_SHAPES:
        objective = context.objective()
        Y, Yhat = context.pair(n, k)
        analytic = np.asarray(objective.gradient(Y, Yhat), dtype=float)
        numeric = n * numerical_gradient(lambda: float(objective.eval(Y, Yhat)), Yhat)
        worst = max(worst, _compare(analytic, numeric, DEFAULT_TOLERANCE,
                                    f"{n} x {k}: gradient vs N x d eval/dYhat", what="gradient",
                                    factors=_objective_factors(n, k)))
    return f"{_shapes_text()}: worst relative error {worst:.1e}"


def _check_mean_of_rows(context):
    n, k = 5, 3
    Y, Yhat = context.pair(n, k)
    objective = context.objective()
    rows = [float(objective.eval(Y[i:i + 1], Yhat[i:i + 1])) for i in range(n)]
    whole = float(objective.eval(Y, Yhat))
    if not abs(whole - np.mean(rows)) <= 1e-12 * max(1.0, abs(whole)):
        ratio = whole / np.mean(rows) if np.mean(rows) else float("nan")
        hint = {n: "eval is a sum over the observations: the seed's objective is their mean",
                1.0 / k: f"eval averages over all N x K entries: sum over the K columns, average over the N rows"}
        hint = next((text for factor, text in hint.items() if abs(ratio - factor) < 1e-9 * factor), "")
        raise _Failure(f"eval of {n} rows {whole:.6g}, mean of the rows alone {np.mean(rows):.6g} (ratio {ratio:.4g})", hint)
    stacked = np.vstack([objective.gradient(Y[i:i + 1], Yhat[i:i + 1]) for i in range(n)])
    _compare(objective.gradient(Y, Yhat), stacked, 1e-12, "gradient of 5 rows vs each row alone",
             what="gradient", factors=_parameter_factors(n))
    return f"eval of {n} x {k} = mean of its rows alone, gradient = its rows alone stacked"


def _extreme_pair(context):
    """``(Y, Yhat)``, 4 x 3: ``Y`` with one 1 per row, ``Yhat`` exactly 0 where ``y = 1`` and 1
    elsewhere in even rows (confidently wrong), equal to ``Y`` in odd rows (right)."""
    Y, _ = context.pair(4, 3)
    hard = (Y == Y.max(axis=1, keepdims=True)).astype(float)
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
                raise _Failure(f"{n} x {k}: {method} changed {'Y' if not np.array_equal(Y, saved_Y) else 'Yhat'}",
                               "clip into a new array (np.clip(Yhat, ...)), not in place")
    return f"Y and Yhat identical after eval and gradient ({_shapes_text()}, and estimates of 0 and 1)"


def _check_objective_extremes(context):
    hard, Yhat = _extreme_pair(context)
    objective = context.objective()
    value = float(objective.eval(hard, Yhat))
    gradient = np.asarray(objective.gradient(hard, Yhat), dtype=float)
    if not np.isfinite(value) or not np.isfinite(gradient).all():
        raise _Failure(f"estimates of exactly 0 and 1: eval {value}, gradient with "
                       f"{int((~np.isfinite(gradient)).sum())} NaN or inf entries",
                       "clip Yhat away from 0 and 1 (e.g. to [1e-7, 1 - 1e-7]) before log and division")
    return "estimates of exactly 0 and 1: eval and gradient finite, no warnings"


def _check_objective_shapes(context):
    name = context.name
    Y, _ = context.pair(5, 3)
    _, Yhat = context.pair(5, 2)
    one_Y, one_Yhat = context.pair(1, 3)
    cases = [(f"{method} of Y 5 x 3 and Yhat 5 x 2", method, (Y, Yhat), (_shape_forms(Y.shape), _shape_forms(Yhat.shape)))
             for method in ("eval", "gradient")]
    for args, label in (((one_Y[0], one_Yhat), "1-D Y"), ((one_Y, one_Yhat[0]), "1-D Yhat")):
        cases += [(f"{method} of {label}", method, args, ()) for method in ("eval", "gradient")]
    return _require_refusals(name, [
        (label, lambda method=method, args=args: getattr(context.objective(), method)(*args), needles)
        for label, method, args, needles in cases])


#: ``(name, check)`` for every objective check, in the order they run
OBJECTIVE_CHECKS = (
    ("eval is one float", _check_eval_is_a_float),
    ("gradient shape", _check_gradient_shape),
    ("gradient vs central differences", _check_objective_gradient),
    ("mean of the rows", _check_mean_of_rows),
    ("arguments unchanged", _check_objective_arguments),
    ("estimates at 0 and 1", _check_objective_extremes),
    ("wrong shapes refused", _check_objective_shapes),
)


def check_objective(make_objective, raise_on_failure=False, make_pair=None):
    """Check an objective against the contract; returns a ``ContractReport``.

    ``make_objective``: the class, or a function of no arguments returning a fresh objective
    with ``eval(Y, Yhat)`` and ``gradient(Y, Yhat)``. ``make_pair(rng, N, K)``: the
    ``(Y, Yhat)`` to try, both ``N x K`` (default ``distribution_pair``, valid for squared
    error, log loss and cross entropy). With ``raise_on_failure=True`` a failure raises
    ``AssertionError`` holding the report's table.

    The checks (``OBJECTIVE_CHECKS``) for ``N x K`` in 1 x 1, 1 x 3, 5 x 1, 5 x 3: ``eval``
    returns one finite float; ``gradient`` is ``N x K`` and equals ``N`` times the central
    differences of ``eval`` (the gradient of each observation's loss, ``eval`` their mean);
    ``eval`` of many rows is the mean of each row alone; no argument changed; finite results
    and no warnings at estimates of exactly 0 and 1; a ``ValueError`` naming the class for
    mismatched shapes and 1-D arrays.

    >>> from graphnn import LogLoss
    >>> report = check_objective(LogLoss)
    >>> report.passed, report.failed, report["eval is one float"].numbers
    (True, [], 'one finite float for 1 x 1, 1 x 3, 5 x 1, 5 x 3')
    """
    context = _ObjectiveContext(make_objective, make_pair)
    return _finish(context.name, OBJECTIVE_CHECKS, context, raise_on_failure)
