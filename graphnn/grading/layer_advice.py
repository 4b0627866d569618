"""Advice for a layer: robustness the assignment never asks for, worth telling a student.

Arguments left unchanged, finite results without warnings at ``|x| = 1e4``, and a
``ValueError`` naming the class for misshapen calls. These rows fail a report only with
``strict=True`` (see ``report``)."""
import numpy as np

from .report import CheckFailure, describe_error

__all__ = ["check_arguments_unchanged", "check_extremes", "check_wrong_shapes", "require_refusals",
           "shape_forms", "EXTREME"]

#: the magnitude of the extreme inputs
EXTREME = 1e4


def check_arguments_unchanged(context):
    """Inputs and ``gradIn`` identical after ``forward``, ``backward`` and ``gradient()``."""
    steps = ("forward",) if context.kind == "input" else ("forward", "backward", "gradient")
    probe = context.layer()
    out = context.forward(probe, context.inputs(1))
    if context.kind != "input" and context.unread_gradient(probe, 1, out[0].size):
        steps = ("forward", "backward")  # an image layer without gradient(): nothing to call
    for n in context.sizes_tried:
        layer = context.layer()
        inputs = context.inputs(n)
        saved = tuple(x.copy() for x in inputs)
        out = context.forward(layer, inputs, copy=False)
        G = context.gradIn(out.shape)
        saved_G = G.copy()
        for step in steps:
            if step == "backward":
                context.backward(layer, G, copy=False)
            elif step == "gradient":
                layer.gradient()
            for k, (x, before) in enumerate(zip(inputs, saved)):
                if not np.array_equal(x, before):
                    raise CheckFailure(f"N = {n}: {step} changed {context.slot(k) or 'its input'}".rstrip(", "),
                                       "work on a copy (x = x.copy()) or out of place (x = x * 2, not x *= 2)")
            if not np.array_equal(G, saved_G):
                raise CheckFailure(f"N = {n}: {step} changed gradIn",
                                   "backward must not write into gradIn (use G * f', not G *= f')")
    what = "inputs" if context.kind == "input" else "inputs and gradIn"
    return f"{what} identical after {', '.join(steps)} ({context.sizes()})"


def check_extremes(context):
    """Finite ``forward``, ``backward`` and ``gradient()``, no warning, at ``|x| = EXTREME``."""
    n = 7
    rng = np.random.default_rng([n, 17])
    inputs = []
    for shape in context.shapes:
        signs = rng.choice([-1.0, 1.0], size=(n,) + shape)
        signs.flat[0] = 1.0
        if signs.size > 1:
            signs.flat[1] = -1.0
        inputs.append(EXTREME * signs)
    layer = context.layer()
    out = context.forward(layer, tuple(inputs))
    if not np.isfinite(out).all():
        raise CheckFailure(f"|x| = {EXTREME:g}: forward gives {int((~np.isfinite(out)).sum())} NaN or inf entries",
                           "use a stable formula (sigmoid: exp of -|x| only; softmax: subtract the row max)")
    if context.kind == "input":
        return f"|x| = {EXTREME:g}: forward finite, no warnings"
    G = rng.standard_normal(out.shape)
    for slot, grad in enumerate(context.backward(layer, G)):
        if not np.isfinite(grad).all():
            raise CheckFailure(f"|x| = {EXTREME:g}: {context.slot(slot)}backward gives NaN or inf")
    if context.unread_gradient(layer, n, out[0].size):  # an image layer without gradient(): backward only
        return f"|x| = {EXTREME:g}: forward, backward finite, no warnings"
    result = layer.gradient()
    if not all(np.isfinite(np.asarray(part, dtype=float)).all()
               for part in (result if isinstance(result, (tuple, list)) else (result,))):
        raise CheckFailure(f"|x| = {EXTREME:g}: gradient() gives NaN or inf")
    return f"|x| = {EXTREME:g}: forward, backward, gradient finite, no warnings"


def _shape_complaint(err, name, *needles):
    if not isinstance(err, (ValueError, TypeError)):
        return f"raised {describe_error(err)}, not a ValueError"
    message = str(err)
    missing = [needle for needle in (name,) + needles
               if not any(form in message for form in (needle if isinstance(needle, tuple) else (needle,)))]
    if missing:
        shown = [m if isinstance(m, str) else m[0] for m in missing]
        return f"message {describe_error(err)!r} does not name {', '.join(shown)}"
    return None


def require_refusals(name, cases):
    """Each ``(label, call, needles)`` must raise a ValueError naming class ``name`` and every
    needle (a shape, in any of its spellings, see ``shape_forms``); else ``CheckFailure`` for
    the first that does not. Returns the row's numbers."""
    for label, call, needles in cases:
        try:
            call()
        except Exception as err:
            complaint = _shape_complaint(err, name, *needles)
            if complaint:
                raise CheckFailure(f"{label}: {complaint}",
                                   "check shapes first and raise ValueError(f'{type(self).__name__}: ...') naming them")
            continue
        raise CheckFailure(f"{label}: no error raised", "refuse it with a ValueError that names the class and the shapes")
    return f"{len(cases)} wrong calls, each a ValueError naming {name} (and the shapes)"


def shape_forms(shape):
    """The spellings of a shape a message may use: ``'2 x 3'``, ``'(2, 3)'``, ``'2x3'``."""
    return (" x ".join(map(str, shape)), str(tuple(int(d) for d in shape)), "x".join(map(str, shape)))


def check_wrong_shapes(context):
    """A ``ValueError`` naming the class for 1-D and 3-D inputs (1-D only for a layer whose
    ``input_ndim`` is ``None``, which takes any rank; for an image layer, an input without its
    channel axis), ``backward`` before ``forward`` and a misshapen ``gradIn`` (naming both
    shapes)."""
    name, n = context.name, 3
    inputs = context.inputs(n)
    cases = []
    # A layer that says it takes any rank (input_ndim = None: element-wise) rightly accepts 3-D.
    any_rank = getattr(context.layer(), "input_ndim", 2) is None
    wrong_ranks = (("1-D", lambda x: x[0]),) if any_rank else (("1-D", lambda x: x[0]), ("3-D", lambda x: x[None]))
    if context.image:  # images: one axis missing (the channels); a flattening takes any rank
        wrong_ranks = () if any_rank or "flatten" in name.lower() else (
            (f"{len(context.shapes[0])}-D", lambda x: x[:, 0]),)
    for slot in range(context.n_inputs):
        for label, change in wrong_ranks:
            bad = list(inputs)
            bad[slot] = change(inputs[slot])
            cases.append((f"forward with a {label} {context.slot(slot) or 'input'}".rstrip(", "),
                          lambda bad=bad: context.layer().forward(*bad), ()))
    if context.kind != "input":
        cases.append(("backward before forward", lambda: context.layer().backward(np.ones((2, 3))), ()))
        layer = context.layer()
        out = context.forward(layer, inputs)
        for wrong in ((n, out.shape[1] + 1) + out.shape[2:], (n + 1,) + out.shape[1:]):
            cases.append((f"backward with gradIn {shape_forms(wrong)[0]} after a {shape_forms(out.shape)[0]} output",
                          lambda wrong=wrong: layer.backward(np.ones(wrong)),
                          (shape_forms(out.shape), shape_forms(wrong))))
    return require_refusals(name, cases)
