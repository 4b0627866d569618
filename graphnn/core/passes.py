"""The two passes over a plan: forward in topological order, backward in reverse.

Both loops are the textbook's. Every decision (what to compute, what to skip, what to fuse)
was taken by the ``Plan``; what the passes compute goes into a ``PassRecord``.

The loops are the reference, and they check everything. Once a pass has gone through them
with a feed of the same signature (the type, shape and dtype of every fed value), the shapes and
types every layer would check are known to pass again: then the plan's compiled ``Program``
(``graphnn.core.program``, straight-line code calling each layer's unchecked fast path) runs
instead, and fills the same record with the same numbers, bit for bit. With
``check_finite``, and whenever the program meets a ``ValueError`` (a value check that still
runs, such as an objective's targets outside ``[0, 1]``), the loops run, so every message
is theirs.
"""
import numpy as np

from .._validation import as_matrix, describe_shape, ieee_arithmetic, is_matrix
from .errors import GraphError
from .record import PassRecord


def forward(plan, feed, check_finite=False):
    """Run every layer and objective of ``plan`` on ``feed`` (``{input name: N x D}``, already
    checked to name every input); returns the ``PassRecord``, its ``total`` the weighted sum
    of the objectives (``None`` without one). See ``Graph.forward``.

    The whole pass computes with IEEE semantics (NaN and inf flow on without a
    ``RuntimeWarning``; docs/reliability.md): one quiet context around the pass, not one per
    layer, covers the layers' fast paths and the graph's own sums and weights."""
    with ieee_arithmetic():
        return _forward(plan, feed, check_finite)


def _forward(plan, feed, check_finite):
    signature = _signature(feed)
    converts = plan.proven_forward.get(signature)
    if converts is not None and not check_finite:
        values = {name: _fed(plan, name, value) for name, value in feed.items()} if converts else dict(feed)
        try:
            return PassRecord(plan, values, plan.program.forward(values), signature=signature)
        except ValueError:
            pass  # the checked loop below runs again and says where, in its own words
    values = {name: _fed(plan, name, value) for name, value in feed.items()}
    record = _forward_loop(plan, values, check_finite)
    record.signature = signature
    if signature is not None:
        plan.proven_forward[signature] = any(values[name] is not feed[name] for name in feed)
    plan.program  # compiled now, at the first pass, binding the methods the loop just ran
    return record


def _signature(feed):
    """The type, shape and dtype of every fed value: all that the checks of a pass depend on
    but the values' numbers (``None`` for a feed holding something without a shape)."""
    try:
        return tuple([(type(value), value.shape, value.dtype) for value in feed.values()])
    except AttributeError:
        return None


def _fed(plan, name, value):
    """A fed value as an ``N x D`` array in the network's dtype (``plan.dtype``), when it has
    one: float64 data meets a float32 network as float32, converted once, here."""
    if is_matrix(value) and (value.dtype == plan.dtype or plan.dtype is None):
        return value  # the hot path: nothing to do
    value = as_matrix(value, f"input {name!r}", "fed value")
    return value if plan.dtype is None or value.dtype == plan.dtype else value.astype(plan.dtype)


def _forward_loop(plan, values, check_finite):
    """The reference forward pass: each step in topological order, checked."""
    if check_finite:
        for name, value in values.items():
            _check_finite(name, "input", value, "output")
    for node, compute, sources in plan.forward_steps:
        try:
            if len(sources) == 1:
                out = compute(values[sources[0]])
            else:
                out = compute(*[values[s] for s in sources])
        except ValueError as err:
            raise _node_error(plan, node, values, err) from None
        if check_finite:
            _check_finite(node, plan.nodes[node].op.describe(), out,
                          "value" if node in plan.weights else "output")
        values[node] = out
    total = None  # J = sum_i weight_i * J_i, added up left to right
    for name, weight in plan.weights.items():
        total = weight * values[name] if total is None else total + weight * values[name]
    return PassRecord(plan, values, total)


def backward(plan, record, check_finite=False):
    """Send gradients back from the objectives, in reverse topological order, into ``record``.

    Each node's output gradient is the sum of what its consumers sent back (an objective's is
    its weight, ``dJ/dJ_i``); its step turns it into one gradient per input. Parameter
    gradients are zeroed first, then each layer adds to its own. See ``Graph.backward``; the
    pass is quiet, as ``forward`` is.
    """
    with ieee_arithmetic():
        _backward(plan, record, check_finite)


def _backward(plan, record, check_finite):
    record.clear_gradients()
    if record.signature in plan.proven_backward and not check_finite:
        try:
            record.grads, record.sent = plan.program.backward(record.values, record)
            return
        except ValueError:
            record.clear_gradients()  # the checked loop zeroes the parameters and runs again
    _backward_loop(plan, record, check_finite)
    if record.signature is not None:
        plan.proven_backward.add(record.signature)


def _backward_loop(plan, record, check_finite):
    """The reference backward pass: each step in reverse topological order, checked."""
    for op in plan.layers_with_parameters:
        op.zero_grad()  # a parameter shared by two layers is zeroed twice: harmless
    grads, sent = dict(plan.weights), {}
    for node, send, sources in plan.backward_steps:
        g_out = grads.get(node)
        if g_out is None:
            continue  # nothing this node feeds reaches an objective
        sent[node] = g_in = send(g_out, record)
        for source, g in zip(sources, g_in):
            if g is not None:
                # A new array rather than +=: `g` is also kept as this edge's gradient.
                grads[source] = g if source not in grads else grads[source] + g
        if check_finite:
            _check_sent(plan, node, sources, g_in)
        if node in plan.sharing:
            record.keep_parameter_sums(node)
    record.grads, record.sent = grads, sent


def _node_error(plan, name, values, err):
    node = plan.nodes[name]
    shapes = ", ".join(
        f"{s} {describe_shape(values[s].shape) if hasattr(values[s], 'shape') else type(values[s]).__name__}"
        for s in node.sources
    )
    return GraphError(f"node {name!r} ({node.op.describe()}) reading [{shapes}]: {err}")


def _check_sent(plan, node, sources, gradients):
    step_node = plan.nodes[node]
    activation = plan.fused.get(node)
    if activation is not None:  # the fused step sends what the activation would have
        node, step_node = activation, plan.nodes[activation]
    for source, g in zip(sources, gradients):
        if g is not None:
            _check_finite(f"{node} -> {source}", step_node.op.describe(), g, "gradient")


def _check_finite(where, kind, array, what):
    array = np.asarray(array)
    bad = ~np.isfinite(array)
    if bad.any():
        if array.ndim == 0:  # an objective's value
            raise FloatingPointError(f"node {where!r} ({kind}): {what} is {float(array)}")
        raise FloatingPointError(
            f"node {where!r} ({kind}): {what} {describe_shape(array.shape)} holds "
            f"{int(bad.sum())} NaN or inf entries of {array.size}"
        )
