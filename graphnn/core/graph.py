"""The structure of a computation graph: layers and objectives as nodes of a networkx
``MultiDiGraph``, and the checks that keep it runnable.

An edge ``u -> v`` with key ``k`` carries the output of ``u`` into input slot ``k`` of ``v``.
A multigraph, because one value may fill two slots of one consumer (``x + x``): a plain
``DiGraph`` would merge those edges and hide a gradient that is summed twice.

What a pass does is decided by the ``Plan`` (``graphnn.core.plan``), built once per change of
the structure; the passes (``graphnn.core.passes``) run it forward in topological order and
backward in reverse, and what they computed is the ``PassRecord`` ``last_pass``
(``graphnn.core.record``), which ``value``, ``grad``, ``grad_out`` and ``edge_grad`` read.
Once a feed's signature has gone through the passes, the fast path (``graphnn.core.fast``,
entered from ``forward`` and ``backward`` here and nowhere else) runs the same plan as
straight-line code, with the same numbers.

Conventions (docs/conventions.md): ``J = sum_i weight_i * J_i`` over the objectives, each
``J_i`` a mean over observations; every gradient on a node or an edge is per observation,
i.e. ``N`` times the derivative of ``J``, as the seed's Part 3 reports them; parameter
gradients are derivatives of ``J`` itself.
"""
import numbers

import networkx as nx
import numpy as np

from .._validation import ieee_arithmetic
from . import checks, passes
from .checks import FiniteWatch
from .fast import Runner  # the one door into the fast path
from .kinds import INPUT, LAYER, OBJECTIVE, GraphError
from .plan import Plan
from .sharing import Sharing


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
        self._plan = self._record = self._runner = None
        self._sharing = Sharing()  # the layers this graph shares with other graphs
        self._training = True  # the mode: see ``training``

    @property
    def fuse(self):
        """Whether backward fuses an objective with its activation (see ``Graph()``)."""
        return self._fuse

    @fuse.setter
    def fuse(self, fuse):
        self._fuse = bool(fuse)
        self._changed()  # the plan decided what to fuse

    # ------------------------------------------------------------------ the mode
    @property
    def training(self):
        """The mode of the next passes: ``True`` for training (the default), ``False`` for
        inference. Layers that behave differently per mode (``DropoutLayer``,
        ``BatchNormLayer``: any layer with a ``training`` attribute) run in the graph's mode:
        each ``forward`` sets their ``training`` from it. ``fit`` trains in training mode and
        validates in inference mode, ``predict`` and ``evaluate`` run in inference mode; each
        gives the graph its mode back when it ends. Assignable; or ``train()``, ``eval()``."""
        return self._training

    @training.setter
    def training(self, training):
        self._training = bool(training)

    @property
    def mode(self):
        """``'training'`` or ``'inference'``: ``training`` as a word (shown by the repr and
        the summary; each ``PassRecord`` keeps the mode its pass ran in)."""
        return "training" if self._training else "inference"

    def train(self, training=True):
        """Switch to training mode (``train(False)``: inference); returns the graph."""
        self.training = training
        return self

    def eval(self):
        """Switch to inference mode (dropout passes values on, batch norm uses its running
        statistics); returns the graph."""
        return self.train(False)

    @property
    def mode_dependent(self):
        """The nodes whose layer behaves differently per mode (``Plan.mode_dependent``)."""
        return list(self.plan.mode_dependent)

    # ------------------------------------------------------------------ building
    def input(self, name, requires_grad=False):
        """Add a named input (data or targets fed to ``forward``); returns its name.

        Inputs are constants by default, as data is: ``backward`` computes no gradient for
        them, nor for layers that only they feed, which saves the work nobody asked for. With
        ``requires_grad=True`` the gradient with respect to the fed value is computed too
        (``grad(name)``), and so is every gradient on the way to it (as the seed's Part 3
        report of the fully connected layer's input gradient needs).

        Raises ``GraphError`` for a name that is taken, reserved (``feed``, ``outputs``,
        ``check_finite``, ``copy``) or not made of letters, digits, ``_``, ``.`` and ``-``.
        """
        checks.check_new_name(self._graph, name)
        if name in checks.RESERVED:
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
        kind = checks.kind_of(op)
        if id(op) in self._ops:
            raise GraphError(
                f"cannot add node {name or '(unnamed)'!r}: this {op.describe()} is already "
                f"node {self._ops[id(op)]!r}, and a layer object keeps "
                "the state of one forward pass, so it can sit at one node only (to share "
                "weights, give two layers the same Parameter)"
            )
        name = self._generated_name(op) if name is None else name
        checks.check_new_name(self._graph, name)
        n_inputs = op.n_inputs
        if len(inputs) > n_inputs:
            raise GraphError(
                f"node {name!r} ({op.describe()}) takes {n_inputs} input(s), got {len(inputs)}: "
                f"{', '.join(map(repr, inputs))}"
            )
        for source in inputs:
            checks.check_source(self._graph, source, name)
        if kind == OBJECTIVE:
            weight = checks.checked_weight(weight, name)
            if len(inputs) == 2:
                swapped = checks.swapped_objective_message(self._graph, name, op, *inputs)
                if swapped:
                    raise GraphError(swapped)
        elif not (isinstance(weight, numbers.Real) and weight == 1.0):
            raise GraphError(f"node {name!r}: only objectives take a weight")
        self._graph.add_node(name, kind=kind, op=op, n_inputs=n_inputs, weight=weight)
        self._ops[id(op)] = name
        for slot, source in enumerate(inputs):
            self._graph.add_edge(source, name, key=slot)
        if kind == LAYER:
            self._sharing.add(op, name)
        self._changed()
        return name

    def connect(self, source, target, slot):
        """Feed the output of node ``source`` into input ``slot`` of node ``target``.

        Raises ``GraphError`` for an unknown node, a slot out of range or already filled,
        an objective as ``source``, or an edge that would close a cycle (the message shows it).
        """
        if target not in self._graph:
            raise GraphError(f"connect: unknown node {target!r}; nodes: {checks.known(self._graph)}")
        checks.check_source(self._graph, source, target)
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
            checks.check_objectives(plan)  # slots filled later by connect
            self._plan, self._runner = plan, Runner(plan)
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
        return self.fast_path.program.source

    @property
    def fast_path(self):
        """The fast path of the current plan (``graphnn.core.fast.Runner``): the feed
        signatures it has proven, its compiled ``program``, the private copies of fed arrays.
        Made anew with the plan."""
        self.plan
        return self._runner

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
        """The output of node ``name`` in the last forward pass: ``N x D`` or ``N x C x H x W``
        (the fed value, as a float array, for an input; a float for an objective). Raises
        ``GraphError`` before a forward pass."""
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
    def forward(self, feed=None, *, outputs=None, check_finite=False, copy=True, **named_feed):
        """Run every node in topological order; returns ``J``, the weighted sum of the
        objectives (``None`` if there is none), or ``(J, {name: output})`` when ``outputs``
        names nodes to return.

        Inputs come as a dict ``feed`` and/or keywords: ``g.forward(X=X, Y=Y)``, each an
        ``N x D`` array, or of higher rank with the batch first (``N x C x H x W`` images;
        each layer checks the rank it takes), numeric. A fed array that
        backward reads is copied once (integers are converted, which copies anyway), so
        changing it in place after ``forward`` cannot change what ``backward`` computes: the
        gradients are those of this pass. ``copy=False`` says the arrays are your own fresh
        ones, which nothing changes before ``backward`` (``fit`` feeds its minibatches so):
        then none is copied. Every node's output stays available through ``value(name)``
        and ``last_pass``. With ``check_finite=True`` the first fed value, layer output or
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
        plan, runner = self.plan, self._runner
        # Forget the last pass before any layer runs: if this pass fails half-way, some layers
        # already hold its state, and backward() must not mix them with the old values.
        replaced, self._record = self._record is not None and self._record.has_gradients, None
        if len(feed) != len(plan.inputs) or not plan.inputs.issuperset(feed):
            raise checks.feed_complaint(plan, feed, self.inputs, self.objectives, self.nodes[-1])
        values = runner.feed.values(feed, copy)
        self._sharing.forward_runs()
        for name in plan.mode_dependent:  # dropout, batch norm: they run in the graph's mode
            plan.nodes[name].op.training = self._training
        record = None if check_finite else runner.forward(values)  # the fast path, if proven
        if record is None:  # else the textbook loop, checked
            with ieee_arithmetic():  # NaN and inf flow on quietly (docs/reliability.md)
                record = passes.forward(plan, values, FiniteWatch(plan) if check_finite else None)
            runner.forward_proven(record)
        record.replaced_gradients = replaced
        record.mode = self.mode
        record.mode_dependent = plan.mode_dependent
        self._record = record
        if outputs is None:
            return record.total
        return record.total, {name: self.value(name) for name in ([outputs] if isinstance(outputs, str) else outputs)}

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
        record = self._record
        if record is None:
            raise GraphError("backward: call forward first (the graph has no values, or changed since)")
        if not self._plan.weights:
            raise GraphError(checks.no_objective_message(self.nodes[-1]))
        if self._sharing.overtaken is not None:
            raise GraphError(self._sharing.overtaken)
        if check_finite or not self._runner.backward(record):  # the fast path, if proven
            watch = FiniteWatch(self._plan) if check_finite else None
            with ieee_arithmetic():  # else the textbook loop, checked, quietly
                passes.backward(self._plan, record, watch)
            self._runner.backward_proven(record)
            if watch:
                watch.parameters()

    def _changed(self):
        """The structure changed: the plan, its fast path and the last pass no longer describe it."""
        self._plan = self._record = self._runner = None

    def _node(self, name):
        try:
            return self._graph.nodes[name]
        except KeyError:
            raise GraphError(f"unknown node {name!r}; nodes: {checks.known(self._graph)}") from None

