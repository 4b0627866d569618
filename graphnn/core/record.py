"""The record of a pass: what forward and backward computed, in the order they computed it.

``forward`` leaves a ``PassRecord`` (``Graph.last_pass``) holding every node's value;
``backward`` adds every edge's gradient, each node's summed output gradient and the parameter
gradients. The passes store plain dicts only; the questions below, and the step-by-step view
(``forward_steps``, ``backward_steps``: ``graphnn.core.steps``), are answered from them on
demand, so recording costs the passes nothing. Views (diagrams, profiler, replay, monitor) read a record and never the
graph's insides.

Gradients follow the seed's convention (docs/conventions.md): every gradient on an edge or a
node is per observation, ``N`` times the derivative of ``J``; parameter gradients are
derivatives of ``J`` itself.
"""
import networkx as nx
import numpy as np

from . import steps
from .kinds import FUSED_STEP, INPUT, LAYER, OBJECTIVE, GraphError
from .steps import BackwardStep, ForwardStep  # noqa: F401 (importable from here, as before)


class PassRecord:
    """What the last forward pass (and the backward pass after it, if any) computed.

    - ``plan``: the ``Plan`` that ran; ``values``: ``{node: output}``; ``total``: ``J``;
    - ``mode``: ``'training'`` or ``'inference'``, the graph's mode during the pass;
      ``mode_dependent``: the nodes whose layer behaves differently per mode (``mode_of``);
    - after backward (``has_gradients``): ``grads`` (``{node: summed output gradient}``) and
      ``sent`` (``{node: gradients sent back, one per source of its step}``, in the order the
      steps ran);
    - ``value``, ``grad``, ``grad_out``, ``edge_grad``, ``parameter_grads``: the questions
      ``Graph`` answers, with the same messages; ``forward_steps``, ``backward_steps``,
      ``steps``: the passes step by step.

    A record describes one pass: the next forward pass makes a new one, and the graph drops
    it when its structure changes. Parameter gradients are read from the layers, so they are
    the current record's only until the next backward.
    """

    def __init__(self, plan, values, total, replaced_gradients=False):
        self.plan = plan
        self.values = values
        self.total = total
        self.grads = None
        self.sent = None
        self.replaced_gradients = replaced_gradients  # an earlier backward's, for messages
        self.mode = "training"  # the graph's mode during the pass (Graph.mode), set by the graph
        self.mode_dependent = ()  # the nodes whose layer ran in that mode (dropout, batch norm)
        self.parameter_sums = {}  # node -> parameter sums after its step (shared parameters)
        self._deferred = {}  # fused objective -> its own gradient, made when asked for

    @property
    def has_gradients(self):
        """Whether backward has run on this record."""
        return self.sent is not None

    # ------------------------------------------------------------------ the questions
    def mode_of(self, name):
        """``'training'`` or ``'inference'``: the mode node ``name``'s layer ran in, for a layer
        that behaves differently per mode (dropout, batch norm); ``None`` for every other node."""
        self._known(name)
        return self.mode if name in self.mode_dependent else None

    def value(self, name):
        """The output of node ``name``: ``N x D`` (a float for an objective)."""
        self._known(name)
        return self.values[name]

    def grad(self, name):
        """``N x D``: dJ/d(output of ``name``) per observation, summed over its consumers;
        zeros where it does not reach ``J``. See ``Graph.grad`` for what it raises."""
        kind = self._known(name, backward=True)
        if kind == OBJECTIVE:
            raise GraphError(f"node {name!r} is an objective: its output is J itself")
        if kind == INPUT and name not in self.plan.requiring:
            raise GraphError(self.constant_input_message(name))
        grad = self.grads.get(name)
        objective = self.plan.fused_by.get(name)
        if grad is None and objective is not None:
            sent = self.sent_by(objective)  # None in a constant branch
            grad = None if sent is None else sent[1]
        if grad is None and name not in self.plan.requiring:
            raise GraphError(self.no_gradient_message(name, f"the gradient of node {name!r}"))
        return np.zeros_like(self.values[name]) if grad is None else grad

    def grad_out(self, name):
        """What node ``name`` sent back to its input(s); see ``Graph.grad_out``."""
        kind = self._known(name, backward=True)
        if kind == INPUT:
            raise GraphError(f"node {name!r} is an input: nothing flows out of it backwards")
        sent = self.sent_by(name)
        if sent is None and kind == LAYER and name in self.plan.requiring:
            raise GraphError(f"node {name!r} does not reach any objective: no gradient flows through it")
        if sent is None or (kind == LAYER and all(g is None for g in sent)):
            raise GraphError(self.no_gradient_message(name, f"the gradient out of node {name!r}"))
        if kind == OBJECTIVE:
            return sent[1]
        return sent[0] if len(sent) == 1 else sent

    def edge_grad(self, source, target, slot=0):
        """The gradient along edge ``source -> target`` (input ``slot``), ``N x D``, or
        ``None`` where none flowed; see ``Graph.edge_grad``."""
        self._known(target, backward=True)
        if not self.plan.structure.has_edge(source, target, key=slot):
            raise GraphError(f"there is no edge {source!r} -> {target!r} into slot {slot}")
        sent = self.sent_by(target)
        return None if sent is None else sent[slot]

    def parameter_grads(self, name):
        """``{parameter name: dJ/dparameter}`` of layer ``name`` after the whole backward pass
        (shared parameters: the sum over every layer holding them)."""
        self._known(name, backward=True)
        op = self.plan.nodes[name].op
        return {p.name: p.grad for p in op.parameters()} if self.plan.nodes[name].kind == LAYER else {}

    def sent_by(self, name):
        """What node ``name`` sent back, one gradient per input slot (``None`` for a slot that
        got none), or ``None`` if its backward did not run. A fused activation sent what its
        objective's step sent; the fused objective's own gradient (``weight * dJ_i/dYhat``,
        never needed by the pass) is computed now, on first request."""
        objective = self.plan.fused_by.get(name)
        if objective is not None:
            return self.sent.get(objective)
        if self.plan.kinds.get(name) == FUSED_STEP:
            if name not in self.sent:
                return None
            if name not in self._deferred:
                target, estimate = self.plan.nodes[name].sources
                gradient = self.plan.nodes[name].op.gradient(self.values[target], self.values[estimate])
                weight = self.plan.weights[name]
                self._deferred[name] = (None, gradient if weight == 1.0 else weight * gradient)
            return self._deferred[name]
        return self.sent.get(name)

    def constant_input_message(self, name, what=""):
        """Why input ``name`` (a constant) gets no gradient, and how to get one; ``what``
        says first what was asked for."""
        return (
            f"{what}input {name!r} is a constant: no gradient is computed for it. Build it with "
            f"g.input({name!r}, requires_grad=True), or call g.set_requires_grad({name!r})"
        )

    def no_edge_gradient_message(self, source, target, slot):
        """Why no gradient flowed along edge ``source -> target`` (into ``slot``), where
        ``edge_grad`` gives ``None``, and how to get one where there is a way."""
        edge = f"edge {source!r} -> {target!r} (slot {slot})"
        node = self.plan.nodes[target]
        if node.kind == OBJECTIVE and slot == 0:
            return (f"no gradient flows along {edge}: slot 0 of objective {target!r} is its "
                    "target, a constant of the loss; the gradient goes to its estimate, "
                    f"{node.sources[1]!r} (slot 1)")
        if source not in self.plan.requiring:
            if self.plan.nodes[source].kind == INPUT:
                return self.constant_input_message(source, f"no gradient flows along {edge}: ")
            return self.no_gradient_message(source, f"the gradient along {edge}")
        return f"no gradient flows along {edge}: node {target!r} does not reach any objective"

    def no_gradient_message(self, name, what):
        """Why ``what`` (about node ``name``) was not computed, and how to get it."""
        structure = self.plan.structure
        if self.plan.nodes[name].kind == OBJECTIVE:  # its target never gets a gradient
            estimate = self.plan.nodes[name].sources[1]
            upstream = nx.ancestors(structure, estimate) | {estimate}
        else:
            upstream = nx.ancestors(structure, name)
        constants = [n for n in upstream if self.plan.nodes[n].kind == INPUT]
        return (
            f"{what} was not computed: nothing upstream of it has parameters or requires a "
            f"gradient. To get it, build the input(s) {', '.join(map(repr, sorted(constants)))} "
            "with requires_grad=True (or call g.set_requires_grad(name)) and run forward and "
            "backward again"
        )

    # ------------------------------------------------------------------ step by step
    def forward_steps(self):
        """The forward pass as a list of ``ForwardStep``, in the order it ran: the fed
        inputs, then every layer and objective in topological order (``graphnn.core.steps``)."""
        return steps.forward_steps(self)

    def backward_steps(self):
        """The backward pass as a list of ``BackwardStep``, in the order it ran (the plan's
        reverse topological order, less the nodes that reach no objective). ``GraphError``
        before backward."""
        if not self.has_gradients:
            raise GraphError("the record has no backward pass yet: call backward first")
        return steps.backward_steps(self)

    def steps(self):
        """Every step of both passes, in order: ``forward_steps() + backward_steps()`` (the
        backward part only once backward ran)."""
        return self.forward_steps() + (self.backward_steps() if self.has_gradients else [])

    def clear_gradients(self):
        """Called by backward before it starts: forget the last backward's gradients."""
        self.grads = self.sent = None
        self.parameter_sums, self._deferred = {}, {}

    def keep_parameter_sums(self, name):
        """Called by backward after the step of a layer holding a shared parameter: keep the
        running sums, so that ``backward_steps`` can tell what each holder added."""
        self.parameter_sums[name] = [p.grad.copy() for p in self.plan.nodes[name].op.parameters()]

    # ------------------------------------------------------------------ helpers
    def _known(self, name, backward=False):
        """The kind of node ``name``; ``GraphError`` for an unknown one or, with ``backward``,
        before backward ran."""
        node = self.plan.nodes.get(name)
        if node is None:
            known = ", ".join(map(repr, self.plan.structure)) or "(none)"
            raise GraphError(f"unknown node {name!r}; nodes: {known}")
        if backward and not self.has_gradients:
            raise GraphError(self.no_backward_message(name))
        return node.kind

    def no_backward_message(self, name):
        """The message for a gradient asked of ``name`` before this record's backward."""
        if self.replaced_gradients:
            return (f"no gradients for {name!r}: a later forward pass (forward, predict or "
                    "evaluate) replaced those of the last backward; call backward again")
        return f"no gradients for {name!r} yet: call forward, then backward"
