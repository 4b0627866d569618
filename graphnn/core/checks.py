"""The checks that keep a graph runnable, and the messages that explain them.

Beside the spine, not inside it: ``Graph`` calls the build-time checks (names, sources,
weights, objectives whose slots look swapped) and the feed's; the passes call
``node_error`` when a node refuses its inputs, and, with ``check_finite=True``, a
``FiniteWatch`` after each step.
"""
import inspect
import numbers
import re

import networkx as nx
import numpy as np

from .._validation import describe_shape
from ..layers.Layer import Layer
from ..objectives.Objective import Objective
from .kinds import INPUT, LAYER, OBJECTIVE, GraphError

#: what a node name is made of: letters, digits, ``_``, ``.`` and ``-``, not starting with a digit
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")  # \Z, not $: "fc\n" is no name
#: the names no input may take: the keyword arguments of ``Graph.forward``
RESERVED = {"feed", "outputs", "check_finite", "copy"}


# ---------------------------------------------------------------------- building
def kind_of(op):
    """``LAYER`` or ``OBJECTIVE`` for what ``Graph.add`` was given; ``GraphError`` for anything
    else, with a hint when it is a class where an instance belongs."""
    if isinstance(op, Objective):
        return OBJECTIVE
    if isinstance(op, Layer):
        return LAYER
    if isinstance(op, type) and issubclass(op, (Layer, Objective)):
        raise GraphError(f"add() takes a Layer or an Objective object, got the class {op.__name__}: "
                         f"pass an instance, {instance_hint(op)}")
    raise GraphError(f"add() takes a Layer or an Objective, got {type(op).__name__}")


def check_new_name(structure, name):
    """``GraphError`` unless ``name`` is a valid node name not yet in ``structure``."""
    if not isinstance(name, str) or not NAME.match(name):
        raise GraphError(
            f"node name {name!r} must be a string of letters, digits, '_', '.' or '-', "
            "not starting with a digit"
        )
    if name in structure:
        raise GraphError(f"node name {name!r} is already used")


def check_source(structure, source, consumer):
    """``GraphError`` unless ``source`` is a node that can feed ``consumer``."""
    if source not in structure:
        raise GraphError(
            f"node {consumer!r} reads {source!r}, which is not in the graph; nodes: {known(structure)}"
        )
    if structure.nodes[source]["kind"] == OBJECTIVE:
        raise GraphError(
            f"node {consumer!r} reads objective {source!r}: an objective's value is a number "
            "that ends the graph, it cannot feed another node"
        )


def known(structure):
    """The node names, for messages."""
    return ", ".join(map(repr, structure)) or "(none)"


def instance_hint(cls):
    """``ReLULayer()``, or ``FullyConnectedLayer(...)`` when the constructor needs arguments."""
    try:
        required = [
            p for p in inspect.signature(cls).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # no signature to read
        required = [None]
    return f"{cls.__name__}({'...' if required else ''})"


def checked_weight(weight, name):
    """An objective's weight as a finite float; ``GraphError`` naming node ``name`` for a
    string, ``None``, a bool, an array or a non-finite number."""
    if isinstance(weight, (bool, np.bool_)) or not isinstance(weight, numbers.Real):
        raise GraphError(
            f"node {name!r}: objective weight must be a number (a float such as 0.5), "
            f"got {type(weight).__name__} {weight!r}"
        )
    weight = float(weight)
    if not np.isfinite(weight):
        raise GraphError(f"node {name!r}: objective weight must be finite, got {weight}")
    return weight


def swapped_objective_message(structure, name, op, target, estimate):
    """Why objective ``name`` reading ``(target, estimate)`` looks swapped, or ``None``.

    Its target is computed by trainable layers while its estimate is a fed input (that needs
    no gradient): the loss cannot move any parameter, every parameter gradient would be 0 and
    accuracy would compare the targets with themselves. That is almost surely ``(Yhat, Y)``
    given for ``(Y, Yhat)``, PyTorch's order.
    """
    fed = structure.nodes[estimate]
    if fed["kind"] != INPUT or fed["requires_grad"]:
        return None
    trainable = sorted(
        n for n in nx.ancestors(structure, target) | {target}
        if structure.nodes[n]["kind"] == LAYER and structure.nodes[n]["op"].parameters()
    )
    if not trainable:
        return None
    return (
        f"node {name!r} ({op.describe()}): its slots look swapped. Its target (slot 0) "
        f"{target!r} is computed by trainable layer(s) {', '.join(map(repr, trainable[:3]))}"
        f"{', ...' if len(trainable) > 3 else ''}, while its estimate (slot 1) {estimate!r} "
        "is a fed input, so no parameter could learn from it. An objective reads (target, "
        "estimate), targets first (PyTorch's losses take the prediction first): "
        f"g.add({type(op).__name__}(), {estimate!r}, {target!r}). If {estimate!r} really is "
        "the estimate, build it with requires_grad=True"
    )


def check_objectives(plan):
    """``GraphError`` for an objective whose slots look swapped (slots filled by ``connect``
    are only known once the plan is built)."""
    for name, kind, op, sources in plan.order:
        swapped = swapped_objective_message(plan.structure, name, op, *sources) if kind == OBJECTIVE else None
        if swapped:
            raise GraphError(swapped)


# ---------------------------------------------------------------------- running
def feed_complaint(plan, feed, inputs, objectives, last_node):
    """The ``GraphError`` for a feed that names an unknown input or misses one."""
    for name in feed:
        if name not in plan.inputs:
            hint = "" if objectives else (
                ". The graph has no objective, so it reads no targets: add one, e.g. "
                "Graph.sequential(..., objective=LogLoss()), or "
                f"g.add(LogLoss(), g.input({name!r}), {last_node!r})"
            )
            return GraphError(f"forward: {name!r} is not an input of the graph; inputs: {inputs}{hint}")
    missing = sorted(plan.inputs.difference(feed))
    return GraphError(f"forward: no value fed for input {missing[0]!r}; inputs: {inputs}")


def no_objective_message(last_node):
    """Why ``backward`` cannot run on a graph without an objective, and what to add."""
    return (
        "backward: the graph has no objective to differentiate (forward returned None, "
        "as J needs one). Add one reading (target, estimate), e.g. "
        f"g.add(LogLoss(), g.input('Y'), {last_node!r}) or "
        "Graph.sequential(..., objective=LogLoss())"
    )


def node_error(plan, name, values, err):
    """The ``GraphError`` for node ``name`` refusing its inputs with ``err``: it names the
    node, its class and the shapes it read."""
    node = plan.nodes[name]
    shapes = ", ".join(
        f"{s} {describe_shape(values[s].shape) if hasattr(values[s], 'shape') else type(values[s]).__name__}"
        for s in node.sources
    )
    return GraphError(f"node {name!r} ({node.op.describe()}) reading [{shapes}]: {err}")


def check_finite(where, kind, array, what):
    """``FloatingPointError`` naming node ``where`` (of ``kind``) if ``array`` holds NaN or inf."""
    array = np.asarray(array)
    bad = ~np.isfinite(array)
    if bad.any():
        if array.ndim == 0:  # an objective's value
            raise FloatingPointError(f"node {where!r} ({kind}): {what} is {float(array)}")
        raise FloatingPointError(
            f"node {where!r} ({kind}): {what} {describe_shape(array.shape)} holds "
            f"{int(bad.sum())} NaN or inf entries of {array.size}"
        )


class FiniteWatch:
    """``check_finite=True``: the passes call it after each step, so the first NaN or inf
    raises a ``FloatingPointError`` naming where it appeared."""

    def __init__(self, plan):
        self.plan = plan

    def fed(self, values):
        """Before the forward loop: the fed values."""
        for name, value in values.items():
            check_finite(name, "input", value, "output")

    def forward_step(self, node, out):
        """After node ``node`` computed ``out`` (an output, or an objective's value)."""
        check_finite(node, self.plan.nodes[node].op.describe(), out,
                     "value" if node in self.plan.weights else "output")

    def backward_step(self, node, sources, gradients):
        """After node ``node``'s backward step sent ``gradients`` to ``sources``."""
        step_node = self.plan.nodes[node]
        activation = self.plan.fused.get(node)
        if activation is not None:  # the fused step sends what the activation would have
            node, step_node = activation, self.plan.nodes[activation]
        for source, g in zip(sources, gradients):
            if g is not None:
                check_finite(f"{node} -> {source}", step_node.op.describe(), g, "gradient")

    def parameters(self):
        """After the backward pass: the first NaN or inf parameter gradient, in node order."""
        for name, kind, op, _ in self.plan.order:
            for parameter in op.parameters() if kind == LAYER else ():
                check_finite(name, op.describe(), parameter.grad, f"gradient of parameter {parameter.name!r}")
