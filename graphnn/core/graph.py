"""The structure of a computation graph: layers and objectives as nodes of a networkx
``MultiDiGraph``, and the checks that keep it runnable.

An edge ``u -> v`` with key ``k`` carries the output of ``u`` into input slot ``k`` of ``v``.
A multigraph, because one value may fill two slots of one consumer (``x + x``): a plain
``DiGraph`` would merge those edges and hide a gradient that is summed twice.

What a pass does is decided by the ``Plan`` (``graphnn.core.plan``), built once per change of
the structure; the passes (``graphnn.core.passes``) run it forward in topological order and
backward in reverse, and what they computed is the ``PassRecord`` ``last_pass``
(``graphnn.core.record``), which ``value``, ``grad``, ``grad_out`` and ``edge_grad`` read.

Conventions (docs/conventions.md): ``J = sum_i weight_i * J_i`` over the objectives, each
``J_i`` a mean over observations; every gradient on a node or an edge is per observation,
i.e. ``N`` times the derivative of ``J``, as the seed's Part 3 reports them; parameter
gradients are derivatives of ``J`` itself.
"""
import inspect
import numbers
import re
import sys
import weakref

import networkx as nx
import numpy as np

from .._validation import as_matrix, is_matrix
from ..layers.Layer import Layer
from ..objectives.Objective import Objective
from . import passes
from .errors import INPUT, LAYER, OBJECTIVE, GraphError
from .plan import Plan

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"feed", "outputs", "check_finite"}  # keyword arguments of forward()

# Every graph alive, so that a layer added to a second graph finds the first (a layer holds
# the state of one pass: see Graph.forward and Graph.backward). Weak: a graph nobody holds
# any more is forgotten, and so is what it shared.
_LIVE_GRAPHS = weakref.WeakSet()


class Graph:
    """A directed acyclic graph of layers and objectives: the engine's graph.

    ``graphnn.Graph`` is this class with ``to_dot`` and ``render`` added (the core imports no
    view): build that one. Build it with ``input`` and ``add`` (or ``Graph.sequential``), run
    it with ``forward`` and ``backward``, then read ``value``, ``grad``, ``grad_out``,
    ``edge_grad``, ``last_pass`` and each ``Parameter.grad``.
    """

    def __init__(self, fuse=True):
        """``fuse``: when an objective reads a sigmoid (``LogLoss``) or a softmax
        (``CrossEntropy``) that feeds nothing else, ``backward`` sends ``Yhat - Y`` straight to
        the activation's input instead of multiplying the two local gradients (see
        ``Objective.fused_gradient``). Where the activation's output lies inside the
        objective's clipping range the numbers agree to rounding. They do not at saturated
        logits (a sigmoid output of exactly 0 or 1, a softmax probability that underflows):
        there the two-step product underflows to 0 or is distorted by the clip, while the
        fused ``Yhat - Y`` is the exact gradient, so the fused one is the accurate one.
        ``fuse=False`` runs every module's own ``backward``, bit for bit the seed's
        hand-written loop."""
        self._graph = nx.MultiDiGraph()
        self._counters = {}
        self._ops = {}  # id(layer or objective) -> node name, so one object sits at one node
        self._fuse = bool(fuse)
        self._plan = self._record = None
        # {other graph: [(node here, node there)]} for the layers this graph shares with others,
        # and, once one of those ran a forward pass after ours, why our backward must not run.
        self._shared = weakref.WeakKeyDictionary()
        self._feed_copies = {}  # input -> the private copy of its last fed array (reused)
        self._overtaken = None
        _LIVE_GRAPHS.add(self)

    @property
    def fuse(self):
        """Whether backward fuses an objective with its activation (see ``Graph()``)."""
        return self._fuse

    @fuse.setter
    def fuse(self, fuse):
        self._fuse = bool(fuse)
        self._changed()  # the plan decided what to fuse

    # ------------------------------------------------------------------ building
    def input(self, name, requires_grad=False):
        """Add a named input (data or targets fed to ``forward``); returns its name.

        Inputs are constants by default, as data is: ``backward`` computes no gradient for
        them, nor for layers that only they feed, which saves the work nobody asked for. With
        ``requires_grad=True`` the gradient with respect to the fed value is computed too
        (``grad(name)``), and so is every gradient on the way to it (as the seed's Part 3
        report of the fully connected layer's input gradient needs).

        Raises ``GraphError`` for a name that is taken, reserved (``feed``, ``outputs``,
        ``check_finite``) or not made of letters, digits, ``_``, ``.`` and ``-``.
        """
        self._check_new_name(name)
        if name in _RESERVED:
            raise GraphError(f"input name {name!r} is reserved (a keyword of Graph.forward)")
        self._graph.add_node(name, kind=INPUT, op=None, n_inputs=0, requires_grad=bool(requires_grad))
        self._changed()
        return name

    def set_requires_grad(self, name, requires_grad=True):
        """Change whether input ``name`` gets a gradient (see ``input``); ``GraphError`` if
        ``name`` is not an input."""
        if self._node(name)["kind"] != INPUT:
            raise GraphError(f"set_requires_grad: node {name!r} is not an input; inputs: {self.inputs}")
        self._graph.nodes[name]["requires_grad"] = bool(requires_grad)
        self._changed()

    def requires_grad(self, name):
        """Whether ``backward`` computes the gradient of node ``name``'s output: inputs as
        set, layers when they or anything upstream has parameters or requires a gradient."""
        self._node(name)
        return self.plan.requires_grad(name)

    def add(self, op, *inputs, name=None, weight=1.0):
        """Add ``op`` (a ``Layer`` or an ``Objective``) reading ``inputs``, in slot order.

        An objective reads ``(target, estimate)``. Inputs must be nodes already in the graph;
        slots may also be left out here and filled later with ``connect``. ``weight`` scales an
        objective's contribution to the total ``J``. Returns the node's name: ``name``, or one
        generated from the class (``fc1``, ``sigmoid1``, ...).

        Raises ``GraphError`` for an ``op`` that is neither (or is a class, not an instance),
        or is already in the graph; a name that is taken or invalid; more inputs than the op
        takes; an input that is not a node, or is an objective; an objective whose slots look
        swapped (its target computed by trainable layers, its estimate a fed input); a
        ``weight`` that is not a finite number, or a ``weight`` on a layer.

        A layer may also sit in another graph (say, a graph for predictions built from the
        layers of the one that trains them). Each graph's backward must then follow its own
        forward: a backward after the other graph's forward raises ``GraphError``, since the
        layer holds the input of that other pass.
        """
        if isinstance(op, Objective):
            kind = OBJECTIVE
        elif isinstance(op, Layer):
            kind = LAYER
        elif isinstance(op, type) and issubclass(op, (Layer, Objective)):
            raise GraphError(
                f"add() takes a Layer or an Objective object, got the class {op.__name__}: "
                f"pass an instance, {_instance_hint(op)}"
            )
        else:
            raise GraphError(f"add() takes a Layer or an Objective, got {type(op).__name__}")
        if id(op) in self._ops:
            raise GraphError(
                f"cannot add node {name or '(unnamed)'!r}: this {op.describe()} is already "
                f"node {self._ops[id(op)]!r}, and a layer object keeps "
                "the state of one forward pass, so it can sit at one node only (to share "
                "weights, give two layers the same Parameter)"
            )
        name = self._generated_name(op) if name is None else name
        self._check_new_name(name)
        n_inputs = op.n_inputs
        if len(inputs) > n_inputs:
            raise GraphError(
                f"node {name!r} ({op.describe()}) takes {n_inputs} input(s), got {len(inputs)}: "
                f"{', '.join(map(repr, inputs))}"
            )
        for source in inputs:
            self._check_source(source, name)
        if kind == OBJECTIVE:
            weight = _checked_weight(weight, name)
            if len(inputs) == 2:
                swapped = _swapped_objective_message(self._graph, name, op, *inputs)
                if swapped:
                    raise GraphError(swapped)
        elif not (isinstance(weight, numbers.Real) and weight == 1.0):
            raise GraphError(f"node {name!r}: only objectives take a weight")
        self._graph.add_node(name, kind=kind, op=op, n_inputs=n_inputs, weight=weight)
        self._ops[id(op)] = name
        for slot, source in enumerate(inputs):
            self._graph.add_edge(source, name, key=slot)
        if kind == LAYER:
            self._share_with_other_graphs(op, name)
        self._changed()
        return name

    def _share_with_other_graphs(self, layer, name):
        """Remember, on both sides, every other live graph that holds ``layer`` too."""
        for other in list(_LIVE_GRAPHS):
            there = other._ops.get(id(layer)) if other is not self else None
            if there is not None and other._graph.nodes[there]["op"] is layer:
                self._shared.setdefault(other, []).append((name, there))
                other._shared.setdefault(self, []).append((there, name))

    def connect(self, source, target, slot):
        """Feed the output of node ``source`` into input ``slot`` of node ``target``.

        Raises ``GraphError`` for an unknown node, a slot out of range or already filled,
        an objective as ``source``, or an edge that would close a cycle (the message shows it).
        """
        if target not in self._graph:
            raise GraphError(f"connect: unknown node {target!r}; nodes: {self._known()}")
        self._check_source(source, target)
        n_inputs = self._graph.nodes[target]["n_inputs"]
        if not isinstance(slot, (int, np.integer)) or not 0 <= slot < n_inputs:
            raise GraphError(
                f"connect: node {target!r} has input slots 0..{n_inputs - 1}, got slot {slot!r}"
            )
        for producer, _, key in self._graph.in_edges(target, keys=True):
            if key == slot:
                raise GraphError(
                    f"connect: slot {slot} of node {target!r} is already filled by {producer!r}"
                )
        if source == target or nx.has_path(self._graph, target, source):
            cycle = [source] if source == target else nx.shortest_path(self._graph, target, source)
            path = " -> ".join(cycle + [target]) if source != target else f"{source} -> {source}"
            raise GraphError(f"connect: {source!r} -> {target!r} would close a cycle: {path}")
        self._graph.add_edge(source, target, key=int(slot))
        self._changed()

    @classmethod
    def sequential(cls, *layers, objective=None, input="X", target="Y", requires_grad=False, fuse=True):
        """A chain ``input -> layers[0] -> ... -> layers[-1]`` and, if given, ``objective``
        reading ``(target, last layer)``: the seed's
        ``Graph.sequential(InputLayer(X), FullyConnectedLayer(16, 1), LogisticSigmoidLayer(),
        objective=LogLoss())``. ``requires_grad`` is the input's, ``fuse`` the graph's."""
        graph = cls(fuse=fuse)
        node = graph.input(input, requires_grad=requires_grad)
        for layer in layers:
            node = graph.add(layer, node)
        if objective is not None:
            graph.add(objective, graph.input(target), node)
        return graph

    def _generated_name(self, op):
        stem = getattr(op, "short_name", None) or type(op).__name__.lower().replace("layer", "")
        while True:
            self._counters[stem] = count = self._counters.get(stem, 0) + 1
            if f"{stem}{count}" not in self._graph:
                return f"{stem}{count}"

    def _check_new_name(self, name):
        if not isinstance(name, str) or not _NAME.match(name):
            raise GraphError(
                f"node name {name!r} must be a string of letters, digits, '_', '.' or '-', "
                "not starting with a digit"
            )
        if name in self._graph:
            raise GraphError(f"node name {name!r} is already used")

    def _check_source(self, source, consumer):
        if source not in self._graph:
            raise GraphError(
                f"node {consumer!r} reads {source!r}, which is not in the graph; nodes: {self._known()}"
            )
        if self._graph.nodes[source]["kind"] == OBJECTIVE:
            raise GraphError(
                f"node {consumer!r} reads objective {source!r}: an objective's value is a number "
                "that ends the graph, it cannot feed another node"
            )

    def _known(self):
        return ", ".join(map(repr, self._graph)) or "(none)"

    # ------------------------------------------------------------------ inspecting
    @property
    def nx(self):
        """The underlying ``networkx.MultiDiGraph``, as a read-only view.

        Node attributes: ``kind`` (``'input'``, ``'layer'`` or ``'objective'``), ``op`` (the
        layer or objective object), ``n_inputs``, ``weight``; edge keys are input slots.
        """
        return self._graph.copy(as_view=True)

    @property
    def plan(self):
        """The ``Plan`` of the passes (``graphnn.core.plan``), built on first use after each
        change. Raises ``GraphError`` if some node has an input slot left empty."""
        if self._plan is None:
            plan = Plan(self._graph, fuse=self._fuse)
            for name, kind, op, sources in plan.order:  # slots filled later by connect
                swapped = _swapped_objective_message(self._graph, name, op, *sources) if kind == OBJECTIVE else None
                if swapped:
                    raise GraphError(swapped)
            self._plan = plan
        return self._plan

    @property
    def nodes(self):
        """Node names in topological order (ties broken by name, so the order is stable).
        Raises ``GraphError`` if some node has an input slot left empty."""
        return [node.name for node in self.plan.order]

    @property
    def inputs(self):
        """The names of the input nodes, in the order they were added."""
        return [n for n, kind in self._graph.nodes(data="kind") if kind == INPUT]

    @property
    def objectives(self):
        """The names of the objective nodes, in the order they were added."""
        return [n for n, kind in self._graph.nodes(data="kind") if kind == OBJECTIVE]

    def op(self, name):
        """The layer or objective at node ``name`` (``None`` for an input); ``GraphError`` for
        an unknown name."""
        return self._node(name)["op"]

    def predecessors(self, name):
        """The nodes ``name`` reads, in slot order."""
        self._node(name)
        slots = {key: source for source, _, key in self._graph.in_edges(name, keys=True)}
        return [slots[slot] for slot in sorted(slots)]

    def parameters(self):
        """Every distinct ``Parameter`` of the graph's layers (shared ones once), in node order."""
        return [parameter for _, parameter in self.named_parameters()]

    def named_parameters(self):
        """``[(node, Parameter)]`` for every distinct parameter, in node order; a parameter
        shared by several layers appears once, with the first node that owns it."""
        seen, named = set(), []
        for name, kind, op, _ in self.plan.order:
            for parameter in op.parameters() if kind == LAYER else ():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    named.append((name, parameter))
        return named

    @property
    def fused(self):
        """``{objective: activation}``: the pairs whose backward is fused (see ``Graph()``)."""
        return dict(self.plan.fused)

    @property
    def source(self):
        """The numpy program this graph is, as Python text: one straight-line ``forward`` and
        one ``backward`` function, each a call per node in the plan's order, with the sums
        where a value fans out written out (docs/performance.md, "The program a graph is").
        The passes run exactly this code once a feed of the same shapes and dtypes has gone
        through the checked loops. Raises ``GraphError`` if some node has an input slot left
        empty."""
        return self.plan.program.source

    def recompile(self):
        """Drop the plan (and the last pass's record): the next pass builds it again, e.g.
        after an op's methods were replaced (the plan holds bound methods, as
        ``graphnn.profile`` does with its timers)."""
        self._changed()

    # ------------------------------------------------------------------ the last pass
    @property
    def last_pass(self):
        """The ``PassRecord`` of the last forward pass (and the backward after it): every
        node's value, every edge's gradient, each node's summed output gradient, the
        parameter gradients, step by step (``graphnn.core.record``). Raises ``GraphError``
        before a forward pass, or after the graph changed."""
        if self._record is None:
            raise GraphError("the graph has no pass to show: call forward (and backward) first")
        return self._record

    @property
    def has_values(self):
        """Whether a forward pass has run since the graph last changed."""
        return self._record is not None

    @property
    def has_gradients(self):
        """Whether a backward pass has run since the last forward pass."""
        return self._record is not None and self._record.has_gradients

    def value(self, name):
        """The output of node ``name`` in the last forward pass: ``N x D`` (the fed value, as
        a float array, for an input; a float for an objective). Raises ``GraphError`` before a forward pass."""
        self._node(name)
        if self._record is None:
            raise GraphError(f"node {name!r} has no value yet: call forward first")
        return self._record.value(name)

    def grad(self, name):
        """``N x D``: the gradient of ``J`` with respect to node ``name``'s output, per
        observation, summed over every consumer (fan-out). Zeros if it does not reach ``J``.

        Raises ``GraphError`` before ``backward``, for an objective, and for a node whose
        gradient was not computed (an input without ``requires_grad``, or a node that only
        such inputs feed): the message says how to get it."""
        return self._with_gradients(name).grad(name)

    def grad_out(self, name):
        """The gradient node ``name`` sends back to its input(s): the seed's "gradient coming
        backwards out of" a module. An ``N x D`` array (``D`` the input's width) for one-input
        layers, ``N x K`` for objectives (the gradient with respect to the estimate, times the
        objective's weight); a tuple, one per slot (``None`` for a constant one), for several
        inputs. Raises ``GraphError`` before ``backward``, for an input, and where no gradient
        flowed back."""
        return self._with_gradients(name).grad_out(name)

    def edge_grad(self, source, target, slot=0):
        """The gradient that flowed back along edge ``source -> target`` (input ``slot``),
        shaped like ``source``'s output (``N x D``).

        Raises ``GraphError`` before ``backward``, for an edge that does not exist, and for an
        edge no gradient flowed along, saying why: into an objective's target (a constant of
        the loss), from a constant input or its branch (and how to get it), or into a node
        that reaches no objective. ``last_pass.edge_grad`` gives ``None`` there instead, for
        code that walks every edge."""
        record = self._with_gradients(target)
        grad = record.edge_grad(source, target, slot)
        if grad is None:
            raise GraphError(record.no_edge_gradient_message(source, target, slot))
        return grad

    def _with_gradients(self, name):
        """The last record, once backward ran on it; else a ``GraphError`` saying what to run."""
        self._node(name)
        record = self._record
        if record is None or not record.has_gradients:
            raise GraphError(f"no gradients for {name!r} yet: call forward, then backward"
                             if record is None else record.no_backward_message(name))
        return record

    # ------------------------------------------------------------------ running
    def forward(self, feed=None, *, outputs=None, check_finite=False, **named_feed):
        """Run every node in topological order; returns ``J``, the weighted sum of the
        objectives (``None`` if there is none), or ``(J, {name: output})`` when ``outputs``
        names nodes to return.

        Inputs come as a dict ``feed`` and/or keywords: ``g.forward(X=X, Y=Y)``, each an
        ``N x D`` array (anything ``np.asarray`` makes 2-D and numeric). A fed array is
        copied once (integers are converted, which copies anyway), so changing it in place
        after ``forward`` cannot change what ``backward`` computes: the gradients are those of
        this pass. Every node's output stays available through ``value(name)`` and
        ``last_pass``. With ``check_finite=True`` the first fed value, layer output or
        objective value that holds NaN or inf raises a ``FloatingPointError`` naming it.

        A graph without an objective (a network that only predicts) returns ``None``: ask
        for its output with ``outputs=`` (``J, {"sigmoid1": P} = g.forward(X=X,
        outputs="sigmoid1")``) or read ``value(name)``; ``backward`` needs an objective.

        Raises ``GraphError`` for a missing or unknown input, an empty input slot, or a node
        that refuses its inputs (the message names the node and the shapes it read).
        """
        if named_feed:
            feed = {**(feed or {}), **named_feed}
        elif feed is None:
            feed = {}
        return self._forward(feed, outputs, check_finite, private=False)

    def _forward(self, feed, outputs=None, check_finite=False, private=False):
        """``forward`` itself; ``private``: the fed arrays are the caller's own fresh arrays
        (``fit``'s minibatches), which nobody can change before backward, so none is copied."""
        plan = self.plan
        # Forget the last pass before any layer runs: if this pass fails half-way, some layers
        # already hold its state, and backward() must not mix them with the old values.
        replaced, self._record = self.has_gradients, None
        if len(feed) != len(plan.inputs) or not plan.inputs.issuperset(feed):
            self._complain_about_feed(feed)
        if not private:  # only what backward reads needs protecting from in-place changes
            feed = {name: self._private_copy(name, value) if name in plan.read_by_backward else value
                    for name, value in feed.items()}
        self._overtaken = None
        if self._shared:  # rarely: only a graph sharing a layer with another pays for this
            self._overtake_sharing_graphs()
        record = passes.forward(plan, feed, check_finite)
        record.replaced_gradients = replaced
        self._record = record
        if outputs is None:
            return record.total
        return record.total, {name: self.value(name) for name in ([outputs] if isinstance(outputs, str) else outputs)}

    def _complain_about_feed(self, feed):
        for name in feed:
            if name not in self.plan.inputs:
                hint = "" if self.objectives else (
                    ". The graph has no objective, so it reads no targets: add one, e.g. "
                    "Graph.sequential(..., objective=LogLoss()), or "
                    f"g.add(LogLoss(), g.input({name!r}), {self.nodes[-1]!r})"
                )
                raise GraphError(f"forward: {name!r} is not an input of the graph; inputs: {self.inputs}{hint}")
        missing = sorted(self.plan.inputs.difference(feed))
        raise GraphError(f"forward: no value fed for input {missing[0]!r}; inputs: {self.inputs}")

    def backward(self, *, check_finite=False):
        """Send gradients from the objectives back, in reverse topological order.

        Zeroes every parameter's gradient first, so two calls after one forward agree.
        Computes what the parameters (and inputs with ``requires_grad``) need; afterwards
        ``grad``, ``grad_out``, ``edge_grad``, ``last_pass`` and each ``Parameter.grad`` hold
        the results. With ``check_finite=True`` the first NaN or inf gradient raises a
        ``FloatingPointError`` naming the edge, then the first NaN or inf parameter gradient
        (in node order), naming the node and the parameter. Raises ``GraphError`` before
        ``forward`` (or after the graph changed), for a graph without an objective, and when
        a layer this graph shares with another graph ran that graph's forward pass since this
        one's. Returns ``None``.
        """
        if self._record is None:
            raise GraphError("backward: call forward first (the graph has no values, or changed since)")
        if not self.plan.weights:
            raise GraphError(
                "backward: the graph has no objective to differentiate (forward returned None, "
                "as J needs one). Add one reading (target, estimate), e.g. "
                f"g.add(LogLoss(), g.input('Y'), {self.nodes[-1]!r}) or "
                "Graph.sequential(..., objective=LogLoss())"
            )
        if self._overtaken is not None:
            raise GraphError(self._overtaken)
        passes.backward(self.plan, self._record, check_finite)
        if check_finite:
            self._check_parameter_gradients()

    def _check_parameter_gradients(self):
        for name, kind, op, _ in self.plan.order:
            for parameter in op.parameters() if kind == LAYER else ():
                passes._check_finite(name, op.describe(), parameter.grad,
                                    f"gradient of parameter {parameter.name!r}")

    def _overtake_sharing_graphs(self):
        """This graph's pass is about to overwrite the state of layers other graphs hold too:
        their backward, until their next forward, would read this pass's inputs."""
        for other, pairs in self._shared.items():
            mine, theirs = pairs[0]
            other._overtaken = (
                f"backward: layer {theirs!r} ({other._graph.nodes[theirs]['op'].describe()}) is "
                f"also node {mine!r} of another graph, whose forward pass ran after this "
                "graph's: the layer now holds that pass's input, and this backward would "
                "compute wrong gradients from it. Run this graph's forward again, then "
                "backward (or give each graph its own layer objects, sharing Parameters if "
                "they should share weights)"
            )

    # ------------------------------------------------------------------ helpers
    def _private_copy(self, name, value):
        """``value`` as the ``N x D`` float array the pass reads, in memory nobody else holds.

        A fed array the caller keeps (or a view of one, or of a DataFrame) is copied, so an
        in-place change after ``forward`` cannot reach ``backward``; one that conversion made
        (from integers or a list) is already private. The copy goes into the last pass's copy
        when nothing but the graph and its layers still hold that one (a ``value(name)`` or a
        ``last_pass`` kept by the caller keeps it as it was): a training loop that feeds an
        array of one shape every step allocates no new memory for it. What the copy costs is
        measured in docs/reliability.md.
        """
        if is_matrix(value):
            array = value  # the usual case: checked without building a description
        else:
            array = as_matrix(value, f"input {name!r}", "fed value")
            if array.base is None:
                return array  # conversion made it: private already
        previous = self._feed_copies.get(name)
        if (previous is not None and previous.shape == array.shape and previous.dtype == array.dtype
                and sys.getrefcount(previous) == 3 + self._layers_holding(name, previous)):
            # Counted above: this dict, the local name and getrefcount's argument.
            np.copyto(previous, array)
            return previous
        copy = self._feed_copies[name] = array.copy()
        return copy

    def _layers_holding(self, name, array):
        """How many references to ``array`` the layers reading input ``name`` keep (each
        remembers the input of its last forward)."""
        held = 0
        for op in self.plan.readers[name]:
            remembered = getattr(op, "_prevIn", None)
            if remembered is array:
                held += 1
            elif isinstance(remembered, list):
                held += sum(item is array for item in remembered)
        return held

    def _changed(self):
        """The structure changed: the plan and the last pass no longer describe it."""
        self._plan = self._record = None
        self._feed_copies = {}

    def _node(self, name):
        try:
            return self._graph.nodes[name]
        except KeyError:
            raise GraphError(f"unknown node {name!r}; nodes: {self._known()}") from None


def _instance_hint(cls):
    """``ReLULayer()``, or ``FullyConnectedLayer(...)`` when the constructor needs arguments."""
    try:
        required = [
            p for p in inspect.signature(cls).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # no signature to read
        required = [None]
    return f"{cls.__name__}({'...' if required else ''})"


def _checked_weight(weight, name):
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


def _swapped_objective_message(structure, name, op, target, estimate):
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


