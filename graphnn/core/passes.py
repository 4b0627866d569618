"""The two passes over a plan, as the textbook writes them: forward in topological order,
backward in reverse, each node's gradient the sum of what its consumers sent back.

Every decision (what to compute, what to skip, what to fuse) was taken by the ``Plan``; what
the passes compute goes into a ``PassRecord``. The layers' public methods check their
inputs, and a node that refuses them is named (``checks.node_error``); with
``check_finite=True`` a ``checks.FiniteWatch`` looks at every step. The caller (``Graph``)
runs each pass in one quiet IEEE context (docs/reliability.md).
"""
from .checks import node_error
from .record import PassRecord


def forward(plan, values, watch=None):
    """Run every layer and objective of ``plan`` on ``values`` (``{input: N x D}``, filled in
    with every node's output); returns the ``PassRecord``, its ``total`` the weighted sum
    ``J = sum_i weight_i * J_i`` of the objectives (``None`` without one)."""
    if watch:
        watch.fed(values)
    for node, compute, sources in plan.forward_steps:           # topological order
        try:
            values[node] = compute(*[values[s] for s in sources])
        except ValueError as err:
            raise node_error(plan, node, values, err) from None
        if watch:
            watch.forward_step(node, values[node])
    total = None                                                 # added up left to right
    for name, weight in plan.weights.items():
        total = weight * values[name] if total is None else total + weight * values[name]
    return PassRecord(plan, values, total)


def backward(plan, record, watch=None):
    """Send gradients back from the objectives, in reverse topological order, into
    ``record``: each node's output gradient is the sum of what its consumers sent back (an
    objective's is its weight, ``dJ/dJ_i``), and its step turns it into one gradient per
    input. Parameter gradients are zeroed first, then each layer adds to its own."""
    record.clear_gradients()
    for op in plan.layers_with_parameters:
        op.zero_grad()                       # a parameter two layers share is zeroed twice
    grads, sent = dict(plan.weights), {}
    for node, send, sources in plan.backward_steps:             # reverse topological order
        if node not in grads:
            continue                         # nothing this node feeds reaches an objective
        sent[node] = g_in = send(grads[node], record)
        for source, g in zip(sources, g_in):
            if g is not None:                # fan-out: the gradients add up (in a new array,
                grads[source] = grads[source] + g if source in grads else g  # g is kept)
        if watch:
            watch.backward_step(node, sources, g_in)
        if node in plan.sharing:             # a tied parameter: keep each holder's share
            record.keep_parameter_sums(node)
    record.grads, record.sent = grads, sent
