"""The plan of a graph: everything a pass does that does not depend on the data.

A ``Plan`` is built from the structure once per change of the graph (``Graph.plan``), so that
the loops in ``passes`` make no decisions of their own:

- ``order``: every node in topological order, ties broken by name (stable across builds);
- ``requiring``: the nodes whose output gradient backward computes. A layer needs one when it
  has parameters or reads something that needs one; an input only with ``requires_grad``. So
  a layer that reads only data runs the parameter part of its backward alone (the first fully
  connected layer skips its ``X^T``-sized input gradient);
- ``fused``: ``{objective: activation}`` where an objective reads the exact activation it
  fuses with (``LogLoss`` a sigmoid, ``CrossEntropy`` a softmax) and that activation feeds
  nothing else: one step sends ``Yhat - Y`` straight to the activation's input;
- ``forward_steps``: ``(node, compute, sources)`` for every layer and objective, topological;
- ``dtype``: the network's dtype, the one dtype of all its parameters (``None`` when they
  have several, or there are none): fed values are converted to it;
- ``backward_steps``: ``(node, send, sources)`` in reverse topological order, for the nodes
  whose gradient is wanted. ``send(g_out, record)`` turns the node's output gradient into one
  gradient per entry of ``sources`` (``None`` where that source needs none). A fused step
  belongs to its objective and sends to the activation's input: ``sources`` is that input.

A plan is a pure schedule: it holds nothing that depends on the data, and no cache.
"""
from typing import NamedTuple

import networkx as nx

from .kinds import (  # noqa: F401 (the step kinds are also read from here)
    FUSED_STEP, INPUT, LAYER, LAYER_STEP, OBJECTIVE, OBJECTIVE_STEP, PARAMETERS_STEP, GraphError,
)


class Node(NamedTuple):
    """One node of the plan: its ``name``, ``kind`` (``INPUT``, ``LAYER``, ``OBJECTIVE``),
    ``op`` (the layer or objective; ``None`` for an input) and ``sources`` (the names it
    reads, in slot order)."""

    name: str
    kind: str
    op: object
    sources: tuple


class Plan:
    """The schedule of a graph's passes (see the module docstring for each attribute).

    Also: ``read_by_backward`` (the inputs whose fed values backward reads), ``readers``
    (``{input: ops reading it}``), ``nodes``
    (``{name: Node}``), ``fused_by`` (``{activation: objective}``), ``weights`` (``{objective: weight}``), ``inputs`` (the
    input names), ``kinds`` (``{name: kind of backward step}``), ``layers_with_parameters``
    (the ops whose gradients each backward zeroes) and ``sharing`` (the layers holding a
    parameter that another layer holds too, whose additions the record keeps step by step).

    Raises ``GraphError`` for a node with an input slot left empty.
    """

    def __init__(self, structure, fuse=True):
        self.structure = structure
        self.order = [_node(structure, name) for name in nx.lexicographical_topological_sort(structure)]
        self.nodes = {node.name: node for node in self.order}
        self.inputs = frozenset(n.name for n in self.order if n.kind == INPUT)
        self.weights = {n.name: structure.nodes[n.name]["weight"] for n in self.order if n.kind == OBJECTIVE}
        self.requiring = self._requiring()
        self.fused = self._fused() if fuse else {}
        self.fused_by = {activation: objective for objective, activation in self.fused.items()}
        self.forward_steps = [
            (n.name, n.op.eval if n.kind == OBJECTIVE else n.op.forward, n.sources)
            for n in self.order if n.kind != INPUT
        ]
        self.kinds = {}
        self.backward_steps = [step for n in reversed(self.order) for step in self._backward_step(n)]
        # The fed inputs whose values a backward step reads (an objective's target, the input
        # of a layer whose backward runs): forward copies what the caller may change in place.
        self.read_by_backward = frozenset(
            source for node, _, _ in self.backward_steps for source in self.nodes[node].sources
            if source in self.inputs)
        # input -> the ops of the nodes reading it, each once
        self.readers = {name: tuple(n.op for n in self.order if name in n.sources) for name in self.inputs}
        self.layers_with_parameters = [n.op for n in self.order if n.kind == LAYER and n.op.parameters()]
        self.sharing = self._sharing()
        # the layers that behave differently in training and inference (dropout, batch norm)
        self.mode_dependent = tuple(n.name for n in self.order if n.kind == LAYER and hasattr(n.op, "training"))
        dtypes = {p.value.dtype for op in self.layers_with_parameters for p in op.parameters()}
        self.dtype = dtypes.pop() if len(dtypes) == 1 else None

    def _requiring(self):
        requiring = set()
        for name, kind, op, sources in self.order:
            if kind == INPUT and self.structure.nodes[name]["requires_grad"]:
                requiring.add(name)
            elif kind == LAYER and (op.parameters() or any(s in requiring for s in sources)):
                requiring.add(name)
        return frozenset(requiring)

    def _fused(self):
        fused = {}
        for name, kind, op, sources in self.order:
            partner = getattr(op, "fuses_with", None) if kind == OBJECTIVE else None
            activation = sources[1] if partner is not None else None
            # The exact class, not a subclass: a subclass may change the function, and
            # Yhat - Y is the gradient of the partner's own function only.
            if (activation is not None and type(self.nodes[activation].op) is partner
                    and self.structure.out_degree(activation) == 1):
                fused[name] = activation
        return fused

    def _backward_step(self, node):
        """The backward step of ``node`` (a list of zero or one), and its kind in ``kinds``."""
        name, kind, op, sources = node
        if kind == OBJECTIVE:
            target, estimate = sources
            if estimate not in self.requiring:
                return []
            activation = self.fused.get(name)
            if activation is not None:
                self.kinds[name] = FUSED_STEP
                return [(name, _weighted(op.fused_gradient, target, estimate, 0),
                         self.nodes[activation].sources)]
            self.kinds[name] = OBJECTIVE_STEP
            return [(name, _weighted(op.gradient, target, estimate, 1), sources)]
        if kind != LAYER or name not in self.requiring or name in self.fused.values():
            return []
        wanted = tuple(s in self.requiring for s in sources)
        if not any(wanted):
            self.kinds[name] = PARAMETERS_STEP
            return [(name, _parameters_only(op.backward_parameters, len(sources)), sources)]
        self.kinds[name] = LAYER_STEP
        if len(sources) == 1:
            return [(name, _one_input(op.backward), sources)]
        return [(name, _several_inputs(op.backward, wanted), sources)]

    def _sharing(self):
        holders = {}
        for n in self.order:
            for parameter in n.op.parameters() if n.kind == LAYER else ():
                holders.setdefault(id(parameter), []).append(n.name)
        return frozenset(name for names in holders.values() if len(names) > 1 for name in names)

    def requires_grad(self, name):
        """Whether backward computes the gradient of node ``name``'s output."""
        return name in self.requiring


def _node(structure, name):
    attributes = structure.nodes[name]
    slots = {key: source for source, _, key in structure.in_edges(name, keys=True)}
    missing = [k for k in range(attributes["n_inputs"]) if k not in slots]
    if missing:
        raise GraphError(
            f"node {name!r} ({attributes['op'].describe()}) has input slot(s) "
            f"{', '.join(map(str, missing))} left empty"
        )
    return Node(name, attributes["kind"], attributes["op"], tuple(slots[k] for k in range(attributes["n_inputs"])))


# The step functions. Each takes the node's output gradient and the pass record, and returns
# one gradient per source. Bound methods are looked up once, here, not in every pass.
def _one_input(backward):
    return lambda g_out, record: (backward(g_out),)


def _several_inputs(backward, wanted):
    # A constant input carries no gradient: its slot sends None.
    return lambda g_out, record: tuple(g if w else None for g, w in zip(backward(g_out), wanted))


def _parameters_only(backward_parameters, n_inputs):
    nothing = (None,) * n_inputs

    def send(g_out, record):
        backward_parameters(g_out)
        return nothing
    return send


def _weighted(gradient, target, estimate, slot):
    """An objective's step: ``weight * gradient(Y, Yhat)`` into ``slot`` (targets, slot 0 of
    an unfused objective, are constants of the loss and get ``None``). The objective's output
    gradient, ``dJ/dJ_i``, is its weight: the multiplication is skipped when it is 1."""
    def send(weight, record):
        values = record.values
        g = gradient(values[target], values[estimate])
        if weight != 1.0:
            g = weight * g
        return (None, g) if slot else (g,)
    return send
