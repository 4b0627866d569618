"""Right answers for a layer, not only self-consistency: its values against graphnn's class of
the same name on the same inputs and weights, and against the seed's worked numbers (Part 1,
questions 1 and 2, at ``H = [[1, 2, 3], [4, 5, 6]]``)."""
import inspect

import numpy as np

from ..layers import FullyConnectedLayer, InputLayer
from .conventions import note_convention
from .gradcheck import relative_error
from .images import check_images_against_reference
from .inputs import as_jacobians, compare, show_input
from .reference import SEED_FC, SEED_H, SEED_JACOBIANS, seed_agrees
from .report import CheckFailure
from .student import build, student_parameters

__all__ = ["check_against_reference", "check_seed_numbers", "weights_orientation", "VALUE_TOLERANCE"]

#: two right formulas of one value (a stable sigmoid and the plain one) differ by rounding
VALUE_TOLERANCE = 1e-8


def _weights(layer, x, k):
    """``(W as D x K, b as 1 x K)`` of a student's (or graphnn's) layer with weights."""
    parameters = student_parameters(layer)
    orientation = weights_orientation(layer, x.shape[1], parameters)
    values = {p.name: p.get() for p in parameters}
    W = values["weights"] if orientation == "D x K" else values["weights"].T
    b = values.get("biases", np.zeros((1, k))).reshape(1, -1)
    return W, b


def weights_orientation(layer, width, parameters):
    """``'D x K'`` or ``'K x D'``: how ``layer`` (of input width ``width``) stores its weights,
    from their shape, or, for a square matrix, from which of ``X W + b`` and ``X W^T + b`` its
    forward computes (on a few rows of its own)."""
    weights = next(p for p in parameters if p.name == "weights").get()
    x = np.random.default_rng(21).standard_normal((4, width))
    out = np.asarray(layer.forward(x.copy()), dtype=float)
    d, k = x.shape[1], out.shape[1]
    if weights.shape == (d, k) and d != k:
        return "D x K"
    if weights.shape == (k, d) and d != k:
        return "K x D"
    if weights.shape != (d, k):
        raise CheckFailure(f"weights are {weights.shape}; for {d} inputs and {k} outputs they are {d} x {k} or {k} x {d}")
    # the closer of the two: a float32 layer is off either way by about 1e-7, a threshold
    # tight enough for float64 called its D x K weights K x D
    centred = out - out.mean(axis=0)
    plain, transposed = (relative_error(centred, x @ w - (x @ w).mean(axis=0)) for w in (weights, weights.T))
    return "D x K" if plain <= transposed else "K x D"


def _reference_layer(context, layer, x, k):
    make = context.reference
    if inspect.isclass(make) and issubclass(make, FullyConnectedLayer):
        W, b = _weights(layer, x, k)
        reference = FullyConnectedLayer(W.shape[0], W.shape[1])
        reference.setWeights(W)
        reference.setBiases(b)
        return reference
    return make()


def check_against_reference(context):
    """Forward, backward and ``gradient()`` of the layer against graphnn's class
    (``context.reference``) on the same inputs (and the layer's own weights), ``N = 1, 7``;
    an image layer's forward and backward (``images.check_images_against_reference``)."""
    if context.reference is None:
        return f"not checked: graphnn has no class named {context.name} (check_layer(..., reference=...) names one)"
    name = getattr(context.reference, "__name__", "reference")
    if context.kind == "input":
        return _input_layer_against_reference(context)
    if context.image and context.n_inputs == 1:
        return check_images_against_reference(context)
    if context.n_inputs != 1:
        return "not checked: the comparison takes layers of one input"
    worst = 0.0
    for n in (1, 7):
        layer = context.layer()
        (x,) = context.inputs(n)
        k = context.forward(layer, (x,)).shape[1]
        reference = _reference_layer(context, layer, x, k)  # may run forward on rows of its own
        out = context.forward(layer, (x,))
        expected = np.asarray(reference.forward(x.copy()), dtype=float)
        shown = show_input(x)
        worst = max(worst, compare(out, expected, VALUE_TOLERANCE, f"N = {n}: forward vs graphnn's {name}",
                                   failing_input=shown, what="forward", reference=f"graphnn's {name}"))
        G = context.gradIn(out.shape)
        (back,) = context.backward(layer, G)
        for parameter in getattr(reference, "parameters", lambda: ())():
            parameter.zero_grad()
        worst = max(worst, compare(back, reference.backward(G.copy()), VALUE_TOLERANCE,
                                   f"N = {n}: backward vs graphnn's {name}", failing_input=shown, gradIn=G,
                                   reference=f"graphnn's {name}"))
        ((jac, _, _),) = context.jacobians(layer, n, out.shape[1])
        ref_jac, _ = as_jacobians(reference.gradient(), n, out.shape[1], x.shape[1],
                                  shared_first=context.kind == "weights")
        worst = max(worst, compare(jac, ref_jac, VALUE_TOLERANCE, f"N = {n}: gradient() vs graphnn's {name}",
                                   failing_input=shown, what="gradient()", reference=f"graphnn's {name}"))
    return f"forward, backward, gradient() vs graphnn's {name}: worst relative error {worst:.1e}"


def _input_layer_against_reference(context):
    if not context.built_from_data:
        return "not checked: built by a factory, so the data it z-scores is unknown to the kit (pass the class)"
    data = context.data
    layer = context.layer()
    x = context.inputs(7)[0]
    out = context.forward(layer, (x,))
    ddof1 = np.asarray(InputLayer(data).forward(x.copy()), dtype=float)
    ddof0 = (x - data.mean(axis=0)) / data.std(axis=0)
    for convention, expected in (("ddof=1", ddof1), ("ddof=0", ddof0)):
        if out.shape == expected.shape and relative_error(out, expected) < VALUE_TOLERANCE:
            note_convention(context.conventions, context.pinned, "standard deviation", convention)
            return f"z-scores of graphnn's InputLayer (standard deviation {convention}), N = 7"
    hint = ""
    for ddof in (0, 1):
        if out.shape == x.shape and relative_error(out, (x - data.mean()) / data.std(ddof=ddof)) < 1e-6:
            hint = ("one mean and one standard deviation for all entries: z-score each column (feature) with "
                    "its own, np.mean(X, axis=0) and np.std(X, axis=0)")
        if out.shape == x.shape and relative_error(out, (x - x.mean(axis=0)) / x.std(axis=0, ddof=ddof)) < 1e-6:
            hint = "the statistics of the batch given to forward: use those of the data the layer was built with"
    label = "N = 7: forward vs graphnn's InputLayer (column z-scores)"
    found = (f"relative error {relative_error(out, ddof1):.2e}" if out.shape == ddof1.shape
             else f"shape {out.shape}, expected {ddof1.shape}")
    raise CheckFailure(f"{label}: {found}", hint or "z-score each column with the mean and standard deviation of "
                                                    "the data the layer was built with", show_input(x))


def check_seed_numbers(context):
    """The seed's Part 1: each activation's Jacobians at ``H`` (question 1), the fully
    connected layer's ``W^T`` (and ``H W + b``) for its ``W`` and ``b`` (question 2)."""
    if context.name in SEED_JACOBIANS and context.n_inputs == 1:
        layer = context.layer()
        out = context.forward(layer, (SEED_H,))
        if out.shape != SEED_H.shape:
            raise CheckFailure(f"forward(H) is {out.shape}, H is 2 x 3", "", show_input(SEED_H))
        J, form = as_jacobians(layer.gradient(), 2, 3, 3)
        if not seed_agrees(J, SEED_JACOBIANS[context.name]):
            worst = float(np.max(np.abs(J - SEED_JACOBIANS[context.name])))
            with np.printoptions(precision=4, suppress=True):
                raise CheckFailure(f"Q1 at H: gradient() ({form}) differs from the seed's answer by up to {worst:.3g}; "
                                   f"first Jacobian {np.array2string(J[0]).replace(chr(10), '')}, the seed's "
                                   f"{np.array2string(SEED_JACOBIANS[context.name][0]).replace(chr(10), '')}",
                                   "", show_input(SEED_H))
        return f"Q1: the Jacobians at H = [[1, 2, 3], [4, 5, 6]] ({form}) are the seed's"
    if context.kind == "weights" and "FullyConnected" in context.name:
        return _fully_connected_seed(context)
    if context.kind == "input":
        return "not checked: the seed has no worked number for an input layer"
    return f"not checked: the seed has no worked example for {context.name}"


def _fully_connected_seed(context):
    if not inspect.isclass(context.make):
        return "not checked: built by a factory; the seed's Q2 needs a 3 -> 2 layer (pass the class)"
    W, b, answer = SEED_FC
    layer = build(context.make, 3, context.data, 2)
    parameters = {p.name: p for p in student_parameters(layer)}
    if "weights" not in parameters:
        return "not checked: no weights found to set"
    shape = parameters["weights"].get().shape
    if shape not in ((3, 2), (2, 3)):
        return f"not checked: built with sizeIn 3, sizeOut 2 its weights are {shape}"
    parameters["weights"].put(W if shape == (3, 2) else W.T)
    if "biases" in parameters:
        parameters["biases"].put(b.reshape(parameters["biases"].get().shape))
    out = context.forward(layer, (SEED_H.copy(),))
    expected = SEED_H @ W + (b if "biases" in parameters else 0)
    if not seed_agrees(out, expected):
        raise CheckFailure(f"Q2: forward(H) = {out.tolist()} with the seed's W and b, H W + b = {expected.tolist()}",
                           "", show_input(SEED_H))
    J, form = as_jacobians(layer.gradient(), 2, 2, 3, shared_first=True)
    if not seed_agrees(J[0], answer) or not seed_agrees(J[1], answer):
        raise CheckFailure(f"Q2: gradient() ({form}) is {np.asarray(layer.gradient()).tolist()}, the seed's answer "
                           f"W^T = {answer.tolist()}", "the Jacobian of X W + b with respect to X is W^T (K x D)",
                           show_input(SEED_H))
    return f"Q2: with the seed's W and b, forward(H) = H W + b and gradient() = W^T ({form})"
