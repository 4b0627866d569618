"""``check_layer``: a layer class against the assignment's contract.

The class (or a factory) is built as the assignment builds it: a class whose constructor
asks for ``sizeIn``/``sizeOut`` or ``dataIn`` gets them (``student.build``). Its input width
comes from ``input_width``, its ``sizeIn`` attribute, or its weights' shape; an image layer
gets ``N x C x H x W`` images (``images``), and ``make_inputs`` may give values of any rank;
one object (so one set of weights) serves a whole check. ``gradient()`` is read in every form the assignment
allows (``inputs.GRADIENT_FORMS``); parameter gradients are read from ``updateWeights`` as
means or sums; which conventions the class follows is in ``report.conventions``. An input
layer (a class named ``...InputLayer``, or built from data) gets no gradient checks: the
assignment asks none of it.
"""

import numpy as np

from .conventions import note_convention
from .gradcheck import DEFAULT_TOLERANCE, numerical_gradient, parameter_factors, relative_error
from .inputs import compare, contract, numeric_jacobians, show_input
from .layer_answers import check_against_reference, check_seed_numbers, weights_orientation
from .layer_context import DEFAULT_WIDTH, LAYER_SIZES, LayerContext
from .layer_advice import check_arguments_unchanged, check_extremes, check_wrong_shapes
from .limits import DEFAULT_TIMEOUT, CheckTimeout, call_with_time_limit
from .report import CheckFailure, finish, timed_out_report
from .student import parameter_gradients, student_parameters, update_method, update_style

__all__ = ["check_layer", "LayerContext", "LAYER_CHECKS", "LAYER_ADVICE", "LAYER_SIZES", "DEFAULT_WIDTH", "EXACT_TOLERANCE"]

#: ``backward(G)`` and ``G`` times ``gradient()`` are two roundings of one product
EXACT_TOLERANCE = 1e-10


def _no_gradients(context):
    return context.kind == "input"


_NOT_FOR_INPUT = "not checked: an input layer needs no gradient (the assignment asks none)"


def _check_forward_shapes(context):
    widths = []
    for n in context.sizes_tried:
        inputs = context.inputs(n)
        out = context.forward(context.layer(), inputs)
        if out.shape[0] != n:
            raise CheckFailure(f"N = {n}: output has {out.shape[0]} rows", "one output row per observation",
                               show_input(inputs[0]))
        if not np.isfinite(out).all():
            raise CheckFailure(f"N = {n}: output holds NaN or inf", "", show_input(inputs[0]))
        widths.append(out.shape[1:])
    if len(set(widths)) != 1:
        raise CheckFailure(f"output shapes {[_shape(w) for w in widths]} differ between {context.sizes()}")
    return ", ".join(f"{' + '.join(f'{n} x {_shape(s)}' for s in context.shapes)} -> {n} x {_shape(widths[0])}"
                     for n in context.sizes_tried)


def _shape(shape):
    return " x ".join(map(str, shape))


def _check_rows_alone(context):
    n = context.sizes_tried[-1]
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
    for n in context.sizes_tried:
        layer = context.layer()
        inputs = context.inputs(n)
        out = context.forward(layer, inputs)
        k = out[0].size
        skipped = context.unread_gradient(layer, n, k)
        if skipped:
            return skipped
        for slot, (jac, form, raw) in enumerate(context.jacobians(layer, n, k)):
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
    for n in context.sizes_tried:
        layer = context.layer()
        inputs = context.inputs(n)
        out = context.forward(layer, inputs)
        G = context.gradIn(out.shape)
        grads = context.backward(layer, G)
        skipped = context.unread_gradient(layer, n, out[0].size)
        if skipped:
            return skipped
        for slot, (grad, (_, form, raw)) in enumerate(zip(grads, context.jacobians(layer, n, out[0].size))):
            if context.image:  # images: compared flattened, one row per observation
                grad, G = grad.reshape(n, -1), G.reshape(n, -1)
            worst = max(worst, compare(grad, contract(G, raw, form), EXACT_TOLERANCE,
                                       f"N = {n}, {context.slot(slot)}backward(G) vs G x gradient()",
                                       failing_input=show_input(inputs[slot]),
                                       what="backward", gradIn=G, reference="G x gradient()"))
    return f"{context.sizes()}: worst relative difference {worst:.1e}"


def _check_backward_numerically(context):
    if _no_gradients(context):
        return _NOT_FOR_INPUT
    worst = 0.0
    for n in context.sizes_tried:
        layer = context.layer()
        inputs = tuple(x.copy() for x in context.inputs(n))
        G = context.gradIn(context.forward(layer, inputs).shape)
        analytic = context.backward(layer, G)
        for slot, x in enumerate(inputs):
            numeric = numerical_gradient(lambda: float(np.sum(G * context.forward(layer, inputs))), x)
            diagonal = None
            if np.shape(analytic[slot]) == x.shape and x.ndim == 2 and x.shape[1] == G.shape[1]:
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
    if not context.image:  # an image layer's kernels have one layout
        note_convention(context.conventions, context.pinned, "weights",
                        weights_orientation(probe, context.widths[0], parameters))
    style = update_style(probe)
    if style is None:
        return f"not checked: {where}, but no updateWeights to read their gradients from (HW3 asks for it)"
    method = update_method(probe).__name__
    if style not in ("gradIn, eta", "eta"):
        return f"not checked: {where}; {style}"
    worst = 0.0
    for n in context.sizes_tried:
        layer = context.layer()
        inputs = context.inputs(n)
        G = context.gradIn(context.forward(layer, inputs).shape)
        context.backward(layer, G)
        parameters = student_parameters(layer)
        gradients = parameter_gradients(layer, G, parameters)

        def mean_objective():
            return float(np.sum(G * context.forward(layer, inputs))) / n

        found = {}  # parameter -> 'mean' or 'sum'
        for p in parameters:
            numeric = _perturbed_gradient(mean_objective, p)
            analytic = np.asarray(gradients[p.name], dtype=float).reshape(numeric.shape) \
                if np.size(gradients[p.name]) == numeric.size else gradients[p.name]
            if n > 1 and np.shape(analytic) == numeric.shape and relative_error(analytic, n * numeric) < DEFAULT_TOLERANCE:
                found[p] = "sum"
                numeric = n * numeric
            elif n > 1:
                found[p] = "mean"
            worst = max(worst, compare(analytic, numeric, DEFAULT_TOLERANCE, f"N = {n}, {p.name} from {method}",
                                       failing_input=show_input(inputs[0]), what=f"the gradient of {p.name}",
                                       factors=parameter_factors(n)))
        _one_convention(context, found, n)
    kind = context.conventions.get("parameter gradients", "mean")
    return f"{where} (gradients as {kind}s, {method}({style})), {context.sizes()}: worst relative error {worst:.1e}"


def _one_convention(context, found, n):
    """Record the parameters' convention (``'mean'`` or ``'sum'``), the same for all of them:
    one summed beside one averaged is a missing ``1/N`` (a kernel's ``dK`` summed over the
    observations, the biases' ``db`` averaged), named as such."""
    summed = [p for p, convention in found.items() if convention == "sum"]
    averaged = [p for p, convention in found.items() if convention == "mean"]
    if summed and averaged:
        names = " and ".join(f"{p.name} ({p.where})" for p in summed)
        raise CheckFailure(
            f"N = {n}: the gradient of {names} is the sum over the N observations ({n} times the mean's), that of "
            f"{' and '.join(p.name for p in averaged)} the mean: is the 1/N missing from {summed[0].name}?",
            f"divide the gradient of {summed[0].name} by N, as that of {averaged[0].name} is: both are gradients of "
            "the mean objective", explained=True)
    for p, convention in found.items():
        note_convention(context.conventions, context.pinned, "parameter gradients", convention, p.name)


def _graphnn_parameters(context):
    worst, names = 0.0, []
    for n in context.sizes_tried:
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
                strict=False, conventions=None, reference="auto", timeout=DEFAULT_TIMEOUT, time_limit=None,
                input_shape=None):
    """Check a layer against the assignment's contract; returns a ``ContractReport``.

    ``make_layer``: the class (built with ``sizeIn``/``sizeOut`` or data when its constructor
    asks for them, see ``student.build``) or a function of no arguments returning a fresh
    layer. It needs ``forward(dataIn)``, ``gradient()`` and ``backward(gradIn)`` in the seed's
    style; ``n_inputs`` (default 1) for layers of several inputs. ``input_width``: the width
    ``D`` of the inputs tried (a tuple for several inputs); by default the layer's ``sizeIn``,
    else read from its weights, else 3. ``input_shape``: one observation's shape for an
    image layer, ``(C, H, W)`` (or ``(H, W)``, single channel); by default found from its
    kernels (``images``). ``make_inputs(rng, n)``: a tuple of ``n x D`` inputs.
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
            lambda: LayerContext(make_layer, input_width, make_inputs, reference, conventions, input_shape), seconds)
    except CheckTimeout as err:
        return timed_out_report(make_layer, LAYER_CHECKS, LAYER_ADVICE, err, strict, raise_on_failure)
    return finish(context.name, LAYER_CHECKS, context, raise_on_failure, strict, context.conventions, LAYER_ADVICE,
                  seconds)
