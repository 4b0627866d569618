"""``check_layer``: a layer class against the assignment's contract.

The class (or a factory) is built as the assignment builds it: a class whose constructor
asks for ``sizeIn``/``sizeOut`` or ``dataIn`` gets them (``student.build``). Its input width
comes from ``input_width``, its ``sizeIn`` attribute, or its weights' shape; one object (so one
set of weights) serves a whole check. ``gradient()`` is read in every form the assignment
allows (``inputs.GRADIENT_FORMS``); parameter gradients are read from ``updateWeights`` as
means or sums; which conventions the class follows is in ``report.conventions``. An input
layer (a class named ``...InputLayer``, or built from data) gets no gradient checks: the
assignment asks none of it.
"""

import numpy as np

from .conventions import note_convention, validate_conventions
from .gradcheck import DEFAULT_TOLERANCE, numerical_gradient, parameter_factors, relative_error
from .inputs import (as_jacobians, compare, contract, input_layer_data, kind_of, numeric_jacobians,
                     show_input, away_from_zero_inputs)
from .layer_answers import check_against_reference, check_seed_numbers, weights_orientation
from .layer_advice import check_arguments_unchanged, check_extremes, check_wrong_shapes
from .reference import reference_for
from .limits import DEFAULT_TIMEOUT, CheckTimeout, call_with_time_limit
from .report import CheckFailure, finish, timed_out_report
from .student import (DEFAULT_SIZE_IN, DtypeNotes, as_width, build, parameter_gradients, student_parameters,
                      update_style)

__all__ = ["check_layer", "LayerContext", "LAYER_CHECKS", "LAYER_ADVICE", "LAYER_SIZES", "DEFAULT_WIDTH", "EXACT_TOLERANCE"]

#: the numbers of observations every layer check runs with: one, and several
LAYER_SIZES = (1, 7)
#: the input width tried when the layer has no ``sizeIn``, no weights, and none is given
DEFAULT_WIDTH = 3
#: ``backward(G)`` and ``G`` times ``gradient()`` are two roundings of one product
EXACT_TOLERANCE = 1e-10


def _checked_input_width(input_width):
    """``input_width`` as ``None``, an ``int`` or a tuple of them; ``ValueError`` otherwise."""
    if input_width is None:
        return None
    several = isinstance(input_width, (tuple, list))
    widths = []
    for value in (input_width if several else (input_width,)):
        width, problem = as_width(value, "input_width")
        if width is None or problem:
            raise ValueError(f"check_layer: {problem}; give a positive integer D (a tuple of them for a layer of "
                             f"several inputs)")
        widths.append(width)
    return tuple(widths) if several else widths[0]


class LayerContext:
    """What the layer checks share: how to build the layer (``layer()``), its ``name``,
    ``kind`` (``'input'``, ``'weights'`` or ``'plain'``), input ``widths``, the inputs they try
    (``inputs(n)``), the ``conventions`` found and those ``pinned``, the ``reference`` class
    and the ``make`` it came from. ``forward``/``backward``/``jacobians`` call the layer and
    refuse what the contract does not allow."""

    def __init__(self, make, input_width=None, make_inputs=None, reference="auto", conventions=None):
        self.make, self.pinned, self.conventions = make, validate_conventions(conventions), {}
        self.size_notes, self.dtypes = [], DtypeNotes()
        input_width = _checked_input_width(input_width)
        width = input_width if isinstance(input_width, int) else (
            input_width[0] if isinstance(input_width, tuple) and len(input_width) == 1 else None)
        self.data = input_layer_data(width or DEFAULT_WIDTH)
        first = build(make, width, self.data)
        self.name = type(first).__name__
        self.n_inputs = self._n_inputs(first)
        self.built_from_data = isinstance(make, type) and first is not None and self._took_data(make)
        self.kind = "input" if ("InputLayer" in self.name or self.built_from_data) else (
            "weights" if self._parameters(first) else "plain")
        self.make_inputs = make_inputs
        self.widths = self._widths(first, input_width)
        if self.make_inputs is None:
            self.make_inputs = self._data_inputs if self.kind == "input" else away_from_zero_inputs(*self.widths)
        self.reference = reference_for(self.name, reference)

    def _n_inputs(self, first):
        value = getattr(first, "n_inputs", 1)
        count, problem = as_width(value, "n_inputs")
        if count is None:
            self.size_notes.append(f"{problem}; the layer was checked with 1 input")
        elif problem:
            self.size_notes.append(problem)
        return count or 1

    @property
    def notes(self):
        """What the kit noticed that no check decides: a ``sizeIn`` or ``n_inputs`` that is not
        a positive integer (and what was used instead), methods returning another dtype than
        float64."""
        return self.size_notes + self.dtypes.sentences()

    def explain(self, failure):
        """``failure`` led by the dtype when the class computes in another dtype than float64
        (``student.DtypeNotes``): that, not a wrong derivative, is what to fix first."""
        return self.dtypes.explain(failure)

    def _took_data(self, make):
        try:
            build(make, None, None)
            return False
        except Exception:
            return True

    @staticmethod
    def _parameters(layer):
        own = getattr(layer, "parameters", None)
        if callable(own):
            return tuple(own())
        return student_parameters(layer)

    def _widths(self, first, input_width):
        if input_width is not None:
            widths = (input_width,) * self.n_inputs if isinstance(input_width, int) else input_width
            if len(widths) != self.n_inputs:
                raise ValueError(f"check_layer: {self.name} takes {self.n_inputs} inputs, got widths {widths}")
            return widths
        if self.kind == "input" and self.built_from_data:
            return (self.data.shape[1],)
        size_in, problem = as_width(getattr(first, "sizeIn", None)) if hasattr(first, "sizeIn") else (None, "")
        if size_in is not None:
            if problem:
                self.size_notes.append(problem)
            return (size_in,) * self.n_inputs
        if self.kind != "weights":
            if problem:
                self.size_notes.append(f"{problem}; the width {DEFAULT_WIDTH} was tried")
            return (DEFAULT_WIDTH,) * self.n_inputs
        widths = self._weights_width(first, problem)
        if problem:
            self.size_notes.append(f"{problem}; the width {widths[0]} was read from the weights")
        return widths

    def _weights_width(self, first, size_problem):
        weights = [p for p in student_parameters(first) if p.name == "weights"]
        shape = np.shape(weights[0].raw()) if weights else ()
        candidates = sorted(dict.fromkeys(shape), key=lambda w: w != DEFAULT_SIZE_IN)
        problem = None
        for width in candidates:
            try:
                out = build(self.make, width, self.data).forward(np.ones((2, width)))
                if np.shape(out)[0] == 2:
                    return (width,)
            except Exception as err:  # the width is wrong, or forward is: try the next one
                problem = err
        raise ValueError(
            f"check_layer: cannot tell {self.name}'s input width: {size_problem or 'it has no sizeIn attribute'}, and forward "
            f"failed on the widths its weights suggest ({' and '.join(map(str, candidates)) or 'none'}"
            f"{'; ' + type(problem).__name__ + ': ' + str(problem)[:80] if problem else ''}). Give the class a "
            f"sizeIn attribute, or pass check_layer({self.name}, input_width=D)")

    def _data_inputs(self, rng, n):
        return (self.data.mean(axis=0) + self.data.std(axis=0) * rng.standard_normal((n, self.data.shape[1])),)

    def layer(self):
        """A fresh layer (one per check: one set of weights for the whole check)."""
        return build(self.make, self.widths[0], self.data)

    def inputs(self, n, salt=0):
        """The inputs the checks try for ``n`` observations: a tuple of ``n x D`` arrays."""
        inputs = self.make_inputs(np.random.default_rng([n, salt, 15]), n)
        inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        return tuple(np.array(x, dtype=float) for x in inputs)

    @staticmethod
    def gradIn(shape, salt=1):
        """A seeded random ``gradIn`` of ``shape``."""
        return np.random.default_rng([shape[0], salt, 16]).standard_normal(shape)

    def forward(self, layer, inputs, copy=True):
        """``layer.forward(*inputs)`` (on copies), refused unless a 2-D array; a dtype other
        than float64 is noted (``explain``)."""
        out = self.dtypes.record("forward", layer.forward(*[x.copy() for x in inputs] if copy else inputs))
        if not isinstance(out, np.ndarray) or out.ndim != 2:
            raise CheckFailure(f"forward returned {kind_of(out)}, not a 2-D N x K array",
                               "every value is 2-D: one row per observation, also for N = 1")
        return out

    def backward(self, layer, G, copy=True):
        """``layer.backward(G)`` as a tuple, one gradient per input."""
        result = self.dtypes.record("backward", layer.backward(G.copy() if copy else G))
        if self.n_inputs == 1:
            return (np.asarray(result, dtype=float),)
        if not isinstance(result, (tuple, list)) or len(result) != self.n_inputs:
            raise CheckFailure(f"backward returned {kind_of(result)}, not {self.n_inputs} gradients (one per input)")
        return tuple(np.asarray(r, dtype=float) for r in result)

    def jacobians(self, layer, n, k):
        """``[(N x K x D tensor, form)]`` per input, from ``layer.gradient()`` in any allowed
        form; records the form in ``conventions`` (or fails a pinned one)."""
        result = self.dtypes.record("gradient()", layer.gradient())
        results = [result] * self.n_inputs
        if self.n_inputs > 1 and not isinstance(result, np.ndarray):
            if not isinstance(result, (tuple, list)) or len(result) != self.n_inputs:
                raise CheckFailure(f"gradient() returned {kind_of(result)}: one Jacobian per input, or a shared one")
            results = list(result)
        found = []
        for slot, r in enumerate(results):
            tensor, form = as_jacobians(r, n, k, self.widths[slot], shared_first=self.kind == "weights")
            note_convention(self.conventions, self.pinned, "gradient()", form)
            found.append((tensor, form, np.asarray(r, dtype=float)))
        return found

    def slot(self, k):
        """``'input k, '`` for a layer of several inputs, else ``''``."""
        return f"input {k}, " if self.n_inputs > 1 else ""

    def sizes(self):
        """``'N = 1, 7'``."""
        return f"N = {', '.join(map(str, LAYER_SIZES))}"


def _no_gradients(context):
    return context.kind == "input"


_NOT_FOR_INPUT = "not checked: an input layer needs no gradient (the assignment asks none)"


def _check_forward_shapes(context):
    widths = []
    for n in LAYER_SIZES:
        inputs = context.inputs(n)
        out = context.forward(context.layer(), inputs)
        if out.shape[0] != n:
            raise CheckFailure(f"N = {n}: output has {out.shape[0]} rows", "one output row per observation",
                               show_input(inputs[0]))
        if not np.isfinite(out).all():
            raise CheckFailure(f"N = {n}: output holds NaN or inf", "", show_input(inputs[0]))
        widths.append(out.shape[1])
    if len(set(widths)) != 1:
        raise CheckFailure(f"output widths {widths} differ between N = {LAYER_SIZES}")
    return ", ".join(f"{' + '.join(f'{n} x {w}' for w in context.widths)} -> {n} x {widths[0]}" for n in LAYER_SIZES)


def _check_rows_alone(context):
    n = LAYER_SIZES[-1]
    inputs = context.inputs(n)
    layer = context.layer()  # one layer, so one set of weights, for the batch and every row
    reason = getattr(layer, "batch_dependence", None)
    if reason:  # batch norm, dropout: rows depend on the batch by design, and say so
        return f"not checked: {context.name} {reason}"
    batch_out = context.forward(layer, inputs)
    rows_out = [context.forward(layer, tuple(x[i:i + 1] for x in inputs)) for i in range(n)]
    worst = relative_error(batch_out, np.vstack(rows_out))
    if not worst < 1e-10:
        raise CheckFailure(f"forward of {n} rows vs each row alone: relative error {worst:.2e}",
                           "observations must not interact: does forward mix rows (a mean over axis 0)?")
    if _no_gradients(context):
        return f"N = {n}: forward, worst relative difference {worst:.1e}"
    G = context.gradIn(batch_out.shape)
    context.forward(layer, inputs)
    batch_grads = context.backward(layer, G)
    rows_grads = []
    for i in range(n):
        context.forward(layer, tuple(x[i:i + 1] for x in inputs))
        rows_grads.append(context.backward(layer, G[i:i + 1]))
    for slot, grad in enumerate(batch_grads):
        error = relative_error(grad, np.vstack([g[slot] for g in rows_grads]))
        worst = max(worst, error)
        if not error < 1e-10:
            raise CheckFailure(f"backward of {n} rows vs each row alone: {context.slot(slot)}relative error {error:.2e}",
                               "observations must not interact in backward")
    return f"N = {n}: worst relative difference {worst:.1e}"


def _check_gradient_tensor(context):
    if _no_gradients(context):
        return _NOT_FOR_INPUT
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = context.inputs(n)
        out = context.forward(layer, inputs)
        for slot, (jac, form, raw) in enumerate(context.jacobians(layer, n, out.shape[1])):
            numeric = numeric_jacobians(lambda *xs: context.forward(layer, xs), [x.copy() for x in inputs], slot)
            if form == "K x D":
                error = compare(raw, numeric[0], DEFAULT_TOLERANCE, f"N = {n}, {context.slot(slot)}gradient() (K x D)",
                                failing_input=show_input(inputs[slot]), what="gradient()")
                for row in range(1, n):
                    error = max(error, compare(raw, numeric[row], DEFAULT_TOLERANCE,
                                               f"N = {n}, row {row}: gradient() (K x D, shared)",
                                               what="gradient()"))
            else:
                expected = np.einsum("nii->ni", numeric) if form == "N x D" else numeric
                if form == "N x D":
                    off = numeric - np.einsum("nd,de->nde", expected, np.eye(expected.shape[1]))
                    if np.abs(off).max() > 1e-6 * max(1.0, np.abs(numeric).max()):
                        raise CheckFailure(f"N = {n}: gradient() is N x D (one derivative per entry), but this "
                                           "layer's Jacobians are not diagonal", "return the N x D x D tensor",
                                           show_input(inputs[slot]))
                error = compare(raw, expected, DEFAULT_TOLERANCE, f"N = {n}, {context.slot(slot)}gradient() ({form})",
                                failing_input=show_input(inputs[slot]), what="gradient()")
            worst = max(worst, error)
    return f"{context.conventions.get('gradient()')}, {context.sizes()}: worst relative error {worst:.1e}"


def _check_backward_is_contraction(context):
    if _no_gradients(context):
        return _NOT_FOR_INPUT
    if getattr(context.layer(), "mixes_rows", False):
        return (f"not checked: {context.name}'s backward carries gradients between rows, which no "
                "per-observation Jacobian holds (backward is checked against central differences)")
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = context.inputs(n)
        out = context.forward(layer, inputs)
        G = context.gradIn(out.shape)
        grads = context.backward(layer, G)
        for slot, (grad, (_, form, raw)) in enumerate(zip(grads, context.jacobians(layer, n, out.shape[1]))):
            worst = max(worst, compare(grad, contract(G, raw, form), EXACT_TOLERANCE,
                                       f"N = {n}, {context.slot(slot)}backward(G) vs G x gradient()",
                                       failing_input=show_input(inputs[slot]),
                                       what="backward", gradIn=G, reference="G x gradient()"))
    return f"{context.sizes()}: worst relative difference {worst:.1e}"


def _check_backward_numerically(context):
    if _no_gradients(context):
        return _NOT_FOR_INPUT
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = tuple(x.copy() for x in context.inputs(n))
        G = context.gradIn(context.forward(layer, inputs).shape)
        analytic = context.backward(layer, G)
        for slot, x in enumerate(inputs):
            numeric = numerical_gradient(lambda: float(np.sum(G * context.forward(layer, inputs))), x)
            diagonal = None
            if np.shape(analytic[slot]) == x.shape and x.shape[1] == G.shape[1]:
                jac = numeric_jacobians(lambda *xs: context.forward(layer, xs), [v.copy() for v in inputs], slot)
                diagonal = G * np.einsum("nii->ni", jac)
            worst = max(worst, compare(analytic[slot], numeric, DEFAULT_TOLERANCE,
                                       f"N = {n}, {context.slot(slot)}backward(G) vs central differences",
                                       failing_input=show_input(x), gradIn=G, diagonal=diagonal))
    return f"{context.sizes()}: worst relative error {worst:.1e}"


def _perturbed_gradient(objective, parameter, eps=1e-6):
    base = parameter.get()
    grad = np.zeros_like(base)
    try:
        for i in range(base.size):
            for sign in (1, -1):
                value = base.copy()
                value.flat[i] += sign * eps
                parameter.put(value)
                grad.flat[i] += sign * objective() / (2 * eps)
    finally:
        parameter.put(base)
    return grad


def _check_parameter_gradients(context):
    probe = context.layer()
    own = getattr(probe, "parameters", None)
    if callable(own):
        return _graphnn_parameters(context) if tuple(own()) else "not checked: no parameters"
    parameters = student_parameters(probe)
    if not parameters:
        return "not checked: no parameters (no weights or biases found)"
    where = ", ".join(f"{p.name} ({p.where})" for p in parameters)
    for p in parameters:
        dtype = np.asarray(p.raw()).dtype
        if dtype.kind != "f":
            raise CheckFailure(f"{p.name} ({p.where}) are {dtype} (integers): an update {p.name} -= eta * gradient "
                               "cannot be stored in them", "initialise weights and biases as floats "
                               "(rng.normal(size=...), np.zeros(shape)), not with integers (randint, dtype=int)",
                               explained=True)
    note_convention(context.conventions, context.pinned, "weights",
                    weights_orientation(probe, context.widths[0], parameters))
    style = update_style(probe)
    if style is None:
        return f"not checked: {where}, but no updateWeights to read their gradients from (HW3 asks for it)"
    if style not in ("gradIn, eta", "eta"):
        return f"not checked: {where}; {style}"
    worst = 0.0
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = context.inputs(n)
        G = context.gradIn(context.forward(layer, inputs).shape)
        context.backward(layer, G)
        parameters = student_parameters(layer)
        gradients = parameter_gradients(layer, G, parameters)

        def mean_objective():
            return float(np.sum(G * context.forward(layer, inputs))) / n

        for p in parameters:
            numeric = _perturbed_gradient(mean_objective, p)
            analytic = np.asarray(gradients[p.name], dtype=float).reshape(numeric.shape) \
                if np.size(gradients[p.name]) == numeric.size else gradients[p.name]
            if n > 1 and np.shape(analytic) == numeric.shape and relative_error(analytic, n * numeric) < DEFAULT_TOLERANCE:
                note_convention(context.conventions, context.pinned, "parameter gradients", "sum", p.name)
                numeric = n * numeric
            elif n > 1:
                note_convention(context.conventions, context.pinned, "parameter gradients", "mean", p.name)
            worst = max(worst, compare(analytic, numeric, DEFAULT_TOLERANCE, f"N = {n}, {p.name} from updateWeights",
                                       failing_input=show_input(inputs[0]), what=f"the gradient of {p.name}",
                                       factors=parameter_factors(n)))
    kind = context.conventions.get("parameter gradients", "mean")
    return f"{where} (gradients as {kind}s, updateWeights({style})), {context.sizes()}: worst relative error {worst:.1e}"


def _graphnn_parameters(context):
    worst, names = 0.0, []
    for n in LAYER_SIZES:
        layer = context.layer()
        inputs = context.inputs(n)
        G = context.gradIn(context.forward(layer, inputs).shape)
        parameters = tuple(layer.parameters())
        for parameter in parameters:
            parameter.zero_grad()
        context.backward(layer, G)
        for parameter in parameters:
            if parameter.value.dtype != np.float64:
                raise CheckFailure(f"{parameter.name} is {parameter.value.dtype}; the checks compare in float64",
                                   "check the layer built in float64: central differences need float64's digits",
                                   explained=True)
            numeric = numerical_gradient(lambda: float(np.sum(G * context.forward(layer, inputs))) / n, parameter.value)
            names += [parameter.name] if parameter.name not in names else []
            worst = max(worst, compare(parameter.grad, numeric, DEFAULT_TOLERANCE, f"N = {n}, d(mean)/d{parameter.name}",
                                       what=f"the gradient of {parameter.name}", factors=parameter_factors(n)))
    return f"{', '.join(names)} (gradients of the mean), {context.sizes()}: worst relative error {worst:.1e}"


#: ``(name, check)`` for every layer check, in the order they run
LAYER_CHECKS = (
    ("forward shapes", _check_forward_shapes),
    ("rows independent", _check_rows_alone),
    ("gradient() vs central differences", _check_gradient_tensor),
    ("backward = gradIn x gradient()", _check_backward_is_contraction),
    ("backward vs central differences", _check_backward_numerically),
    ("parameter gradients", _check_parameter_gradients),
    ("same values as graphnn", check_against_reference),
    ("seed's worked numbers", check_seed_numbers),
    ("arguments unchanged", check_arguments_unchanged),
    ("extreme inputs", check_extremes),
    ("wrong shapes refused", check_wrong_shapes),
)

#: the layer checks that are advice (robustness): they fail a report only with ``strict=True``
LAYER_ADVICE = ("arguments unchanged", "extreme inputs", "wrong shapes refused")


def check_layer(make_layer, input_width=None, raise_on_failure=False, make_inputs=None, *,
                strict=False, conventions=None, reference="auto", timeout=DEFAULT_TIMEOUT, time_limit=None):
    """Check a layer against the assignment's contract; returns a ``ContractReport``.

    ``make_layer``: the class (built with ``sizeIn``/``sizeOut`` or data when its constructor
    asks for them, see ``student.build``) or a function of no arguments returning a fresh
    layer. It needs ``forward(dataIn)``, ``gradient()`` and ``backward(gradIn)`` in the seed's
    style; ``n_inputs`` (default 1) for layers of several inputs. ``input_width``: the width
    ``D`` of the inputs tried (a tuple for several inputs); by default the layer's ``sizeIn``,
    else read from its weights, else 3. ``make_inputs(rng, n)``: a tuple of ``n x D`` inputs.
    ``strict``: advice rows (arguments unchanged, extreme inputs, wrong shapes refused) decide
    too. ``conventions``: ``{what: convention}`` the teacher pins (``CONVENTIONS``).
    ``reference``: the graphnn class to compare values with (default: the one of the same
    name; ``None``: none). With ``raise_on_failure=True`` a failure raises
    ``AssertionError`` holding the report's table. ``timeout``: seconds each check (and the
    building of the class) may run, ``DEFAULT_TIMEOUT`` by default, ``None`` for no limit: a
    check that runs longer fails naming the method that was running and the time, and the
    checks after it are not run (``limits``); ``time_limit`` is its older name.

    The checks (``LAYER_CHECKS``), for ``N = 1`` and ``N = 7``: output shapes; rows computed
    independently (not checked, and said so, for a layer whose ``batch_dependence`` names why
    a row depends on the batch: batch norm and dropout in training mode); ``gradient()``
    (``N x D``, ``N x K x D`` or a shared ``K x D``) against central differences;
    ``backward(G)`` equal to ``G`` times it (not for a layer whose ``mixes_rows`` is true: its
    backward carries gradients between rows) and to central differences;
    parameter gradients (what ``updateWeights`` applies, means or sums) against central
    differences; values equal to graphnn's class on the same inputs and weights, and to the
    seed's worked numbers. Advice: no argument changed; finite results and no warnings at
    ``|x| = 1e4``; a ``ValueError`` for misshapen inputs.

    >>> from graphnn import TanhLayer
    >>> check_layer(TanhLayer).passed
    True
    """
    seconds = timeout if time_limit is None else time_limit
    try:
        context = call_with_time_limit(
            lambda: LayerContext(make_layer, input_width, make_inputs, reference, conventions), seconds)
    except CheckTimeout as err:
        return timed_out_report(make_layer, LAYER_CHECKS, LAYER_ADVICE, err, strict, raise_on_failure)
    return finish(context.name, LAYER_CHECKS, context, raise_on_failure, strict, context.conventions, LAYER_ADVICE,
                  seconds)
